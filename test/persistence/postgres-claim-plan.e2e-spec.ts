/**
 * Claims on Postgres stay ordered index scans whatever the statistics:
 * on a table that autovacuum has not analysed yet, holding a backlog of 20,000 pending rows, the
 * claim statements of the webhook inbox and of the intents are planned without a sort and without a
 * bitmap scan of every pending row, and still claim the oldest rows first.
 */
import { randomUUID } from 'node:crypto';
import { DataSource, type QueryRunner } from 'typeorm';
import { runPostgresClaim } from '../../libs/cashlink/src/persistence/postgres-claim';
import { runPostgresStatement } from '../../libs/cashlink/src/persistence/postgres-statements';
import { CashlinkIntentStore } from '../../libs/cashlink/src/idempotency/cashlink-intent.store';
import { WebhookInboxStore } from '../../libs/cashlink/src/webhooks/webhook-inbox.store';
import { describeIfPostgres } from '../support/databases';
import { createIntentDatabase, type IntentDatabase } from '../idempotency/support/intent-database';
import { closeInboxDatabase, openInboxDatabase } from '../webhooks/support';

jest.setTimeout(60_000);

const BACKLOG = 20_000;

/** The UPDATE statements sent on `dataSource`'s pooled connections while `fn` runs. */
async function captureClaims(dataSource: DataSource, fn: () => Promise<unknown>): Promise<string[]> {
  const statements: string[] = [];
  const original = dataSource.createQueryRunner.bind(dataSource);
  const spy = jest.spyOn(dataSource, 'createQueryRunner').mockImplementation((...args) => {
    const runner: QueryRunner = original(...args);
    const connect = runner.connect.bind(runner);
    // The stores send their claims with the node-postgres client itself (named statements).
    runner.connect = async () => {
      const client = (await connect()) as { query: (...args: unknown[]) => Promise<unknown> };
      return {
        query: (statement: string | { text: string }, ...rest: unknown[]) => {
          const text = typeof statement === 'string' ? statement : statement.text;
          if (/^\s*UPDATE/i.test(text)) statements.push(text);
          return client.query(statement, ...rest);
        },
      };
    };
    return runner;
  });
  try {
    await fn();
  } finally {
    spy.mockRestore();
  }
  return statements;
}

/** Every node type of a JSON plan. */
function nodeTypes(plan: unknown): string[] {
  const out: string[] = [];
  const walk = (node: Record<string, unknown>) => {
    out.push(String(node['Node Type']));
    for (const child of (node.Plans as Array<Record<string, unknown>> | undefined) ?? []) walk(child);
  };
  walk((plan as Array<{ Plan: Record<string, unknown> }>)[0]!.Plan);
  return out;
}

/** The plan of `sql` under the claim settings, as node types. */
async function explainUnderClaimSettings(
  dataSource: DataSource,
  sql: string,
  params: unknown[],
): Promise<string[]> {
  const rows = await runPostgresClaim(dataSource, { text: `EXPLAIN (FORMAT JSON) ${sql}`, values: params });
  const row = rows[0]!;
  return nodeTypes(row['QUERY PLAN']);
}

describeIfPostgres('webhook inbox claims on a table without statistics [postgres]', () => {
  let handle: Awaited<ReturnType<typeof openInboxDatabase>> | undefined;

  beforeAll(async () => {
    handle = await openInboxDatabase('postgres');
  });
  afterAll(() => closeInboxDatabase(handle));

  it('plans the webhook inbox claim as an ordered index scan and claims the oldest rows', async () => {
    const ds = handle!.dataSource;
    await ds.query(
      `INSERT INTO "cashlink_webhook_inbox" ("id", "dedupe_key", "investment_id", "status", "changed_at", "received_at", "state", "attempts", "next_attempt_at", "stale")
       SELECT md5(i::text || $1)::uuid::varchar, md5(i::text || $1), md5(i::text), 'ACCEPTED', '2026-01-01T00:00:00.000000000Z', i, 'pending', 0, i, FALSE
       FROM generate_series(1, ${BACKLOG}) AS i`,
      [randomUUID()],
    );
    const store = new WebhookInboxStore(ds);
    let claimed: Awaited<ReturnType<WebhookInboxStore['claimDue']>> = [];
    const [claim] = await captureClaims(ds, async () => {
      claimed = await store.claimDue('owner', 20, 60_000, BACKLOG + 1);
    });
    expect(claimed.map((r) => r.nextAttemptAt)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    const now = BACKLOG + 1;
    const plan = await explainUnderClaimSettings(ds, claim!, ['other', now + 60_000, now, now, 20, now]);
    expect(plan).toContain('Index Scan');
    expect(plan).not.toContain('Sort');
    expect(plan).not.toContain('Bitmap Heap Scan');
  });
});

describeIfPostgres('intent claims on a table without statistics [postgres]', () => {
  let database: IntentDatabase | undefined;

  beforeAll(async () => {
    database = await createIntentDatabase('postgres');
  });
  afterAll(() => database?.close());

  it('plans the intent claim as an ordered index scan and claims the oldest intents', async () => {
    const ds = database!.dataSource;
    await ds.query(
      `INSERT INTO "cashlink_intents" ("idempotency_key", "operation", "method", "path", "request_body", "request_hash", "state", "attempts", "next_attempt_at", "created_at", "updated_at")
       SELECT md5(i::text || $1), 'investments.create', 'POST', '/v2/investments/', '{}', repeat('a', 64), 'pending', 0, i, i, i
       FROM generate_series(1, ${BACKLOG}) AS i`,
      [randomUUID()],
    );
    const store = new CashlinkIntentStore(ds, 60_000);
    let claimed: Awaited<ReturnType<CashlinkIntentStore['claimDue']>> = [];
    const [claim] = await captureClaims(ds, async () => {
      claimed = await store.claimDue('owner', 20, BACKLOG + 1);
    });
    expect(claimed.map((r) => r.nextAttemptAt)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    const now = BACKLOG + 1;
    const plan = await explainUnderClaimSettings(ds, claim!, [
      'other:lease',
      now + 60_000,
      now,
      now,
      now,
      20,
      now,
    ]);
    expect(plan).toContain('Index Scan');
    expect(plan).not.toContain('Sort');
    expect(plan).not.toContain('Bitmap Heap Scan');
  });
});

describeIfPostgres('runPostgresClaim [postgres]', () => {
  let database: IntentDatabase | undefined;
  let single: DataSource | undefined;

  beforeAll(async () => {
    database = await createIntentDatabase('postgres');
    // One pooled connection: a leaked transaction or setting would show on the next query.
    single = new DataSource({
      ...database.db.options,
      extra: { max: 1 },
      logging: false,
    } as ConstructorParameters<typeof DataSource>[0]);
    await single.initialize();
  });
  afterAll(async () => {
    await single?.destroy();
    await database?.close();
  });

  it('rolls back and releases its connection when the statement fails, and leaves no setting behind', async () => {
    for (let i = 0; i < 3; i++) {
      await expect(
        runPostgresClaim(single!, { text: 'UPDATE "no_such_table" SET "x" = 1' }),
      ).rejects.toThrow();
    }
    const ok = await runPostgresClaim(single!, {
      name: 'claim_test_v1',
      text: 'SELECT $1::int AS "one"',
      values: [1],
    });
    expect(ok).toEqual([{ one: 1 }]);
    // The named statement is prepared on the connection, once, and executed again.
    expect(
      await runPostgresClaim(single!, {
        name: 'claim_test_v1',
        text: 'SELECT $1::int AS "one"',
        values: [2],
      }),
    ).toEqual([{ one: 2 }]);
    expect(
      await single!.query(`SELECT "name" FROM "pg_prepared_statements" WHERE "name" = 'claim_test_v1'`),
    ).toEqual([{ name: 'claim_test_v1' }]);
    expect(
      await single!.query(
        `SELECT current_setting('enable_sort') AS "sort", current_setting('enable_bitmapscan') AS "bitmap"`,
      ),
    ).toEqual([{ sort: 'on', bitmap: 'on' }]);
  });

  it('runs a named statement again, unnamed, when the server no longer has it (as behind a pooler)', async () => {
    const statement = { name: 'lost_test_v1', text: 'SELECT $1::int + 1 AS "n"', values: [1] };
    expect((await runPostgresStatement(single!, statement)).rows).toEqual([{ n: 2 }]);
    // The one pooled connection forgets it, as another server connection behind a pooler would not have it;
    // node-postgres still believes it prepared and sends only Bind/Execute.
    await single!.query('DEALLOCATE "lost_test_v1"');
    expect((await runPostgresStatement(single!, { ...statement, values: [2] })).rows).toEqual([{ n: 3 }]);
    await single!.query('DEALLOCATE "claim_test_v1"');
    expect(
      await runPostgresClaim(single!, {
        name: 'claim_test_v1',
        text: 'SELECT $1::int AS "one"',
        values: [3],
      }),
    ).toEqual([{ one: 3 }]);
    expect(
      await single!.query(
        `SELECT current_setting('enable_sort') AS "sort", now() = statement_timestamp() AS "idle"`,
      ),
    ).toEqual([{ sort: 'on', idle: true }]);
  });
});
