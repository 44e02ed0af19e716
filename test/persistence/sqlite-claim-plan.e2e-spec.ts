/**
 * Claims on SQLite stay index range scans however big the backlog: the outer UPDATE of each claim
 * statement (intents, webhook inbox, event log) is driven by the candidates' keys, never by a scan of
 * the pending rows. A re-check of the candidates' state in the outer WHERE (what Postgres needs with
 * SKIP LOCKED) would make SQLite's planner walk every pending row of the due index for each claim.
 * The statements are the stores' own, captured as the group commit prepares them, and explained by
 * SQLite itself.
 */
import { CashlinkEventLogStore } from '../../libs/cashlink/src/event-log/cashlink-event-log.store';
import { CashlinkIntentStore } from '../../libs/cashlink/src/idempotency/cashlink-intent.store';
import { rawSqliteHandle } from '../../libs/cashlink/src/persistence/sqlite-connection';
import { WebhookInboxStore } from '../../libs/cashlink/src/webhooks/webhook-inbox.store';
import { closeEventsDatabase, openEventsDatabase } from '../events/support';

describe('claim plans [sqlite]', () => {
  let handle: Awaited<ReturnType<typeof openEventsDatabase>> | undefined;
  afterEach(async () => {
    await closeEventsDatabase(handle);
    handle = undefined;
  });

  it.each([
    [
      'intents',
      'cashlink_intents',
      (ds: never) => new CashlinkIntentStore(ds, 60_000).claimDue('me', 50, Date.now()),
    ],
    [
      'webhook inbox',
      'cashlink_webhook_inbox',
      (ds: never) => new WebhookInboxStore(ds).claimDue('me', 50, 10_000),
    ],
    [
      'event log',
      'cashlink_events',
      (ds: never) => new CashlinkEventLogStore(ds).claimDue('me', 50, 10_000, Date.now()),
    ],
  ])('%s: the outer UPDATE is driven by the candidate keys', async (_what, table, claim) => {
    handle = await openEventsDatabase('sqlite');
    const { dataSource } = handle;
    const sqlite = rawSqliteHandle(dataSource)!;
    const statements: string[] = [];
    const prepare = sqlite.prepare.bind(sqlite);
    sqlite.prepare = (sql: string) => {
      if (sql.startsWith(`UPDATE "${table}" SET "lease_owner"`) && /IN \(\s*SELECT/.test(sql))
        statements.push(sql);
      return prepare(sql);
    };
    const compact = (sql: string) => sql.replace(/\s+/g, ' ');
    try {
      await claim(dataSource as never);
    } finally {
      sqlite.prepare = prepare;
    }
    expect(statements.map(compact)).toHaveLength(1);
    const params = (statements[0]!.match(/\?/g) ?? []).map(() => 1);
    const plan = (
      dataSource.driver as unknown as {
        databaseConnection: { prepare(s: string): { all(...p: unknown[]): Array<{ detail: string }> } };
      }
    ).databaseConnection
      .prepare(`EXPLAIN QUERY PLAN ${statements[0]}`)
      .all(...params)
      .map((row) => row.detail);
    // The first step is the outer UPDATE's access to the table: by its key (the candidates' list).
    expect(plan[0]).toMatch(
      new RegExp(
        `^SEARCH ${table} USING (COVERING )?INDEX \\S+ \\(\\w+=\\?\\)$|^SEARCH ${table} USING (INTEGER )?PRIMARY KEY`,
      ),
    );
    expect(plan[0]).not.toMatch(/state=/);
  });
});
