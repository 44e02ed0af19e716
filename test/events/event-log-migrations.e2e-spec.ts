import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import {
  eventLogTriggersInstalled,
  installEventLog,
} from '../../libs/cashlink/src/event-log/event-log.schema';
import { IDEMPOTENCY_ENTITIES } from '../../libs/cashlink/src/idempotency/idempotency.providers';
import { CASHLINK_MIGRATIONS } from '../../libs/cashlink/src/migrations';
import { CreateCashlinkEventLog1796100000000 } from '../../libs/cashlink/src/migrations/1796100000000-create-cashlink-event-log';
import { WebhookInboxStore } from '../../libs/cashlink/src/webhooks/webhook-inbox.store';
import { normaliseChangedAt } from '../../libs/cashlink/src/webhooks/webhook-status-change';
import { WEBHOOK_ENTITIES } from '../../libs/cashlink/src/webhooks/webhooks.providers';
import { createTestDatabase, describeEachDatabase } from '../support/databases';

jest.setTimeout(30_000);

describeEachDatabase('event log migration', (kind) => {
  const open = async () => {
    const db = await createTestDatabase(kind);
    const dataSource = new DataSource({
      ...db.options,
      entities: [...WEBHOOK_ENTITIES, ...IDEMPOTENCY_ENTITIES],
      migrations: CASHLINK_MIGRATIONS,
      synchronize: false,
      logging: false,
    } as ConstructorParameters<typeof DataSource>[0]);
    await dataSource.initialize();
    return { db, dataSource };
  };
  const events = async (ds: DataSource) =>
    (await ds.query(
      `SELECT "name", "source", "source_id", "state" FROM "cashlink_events" ORDER BY "id"`,
    )) as Array<{
      name: string;
      source: string;
      source_id: string;
      state: string;
    }>;

  it('is created at start-up under synchronize: true (tables and triggers), idempotently', async () => {
    const db = await createTestDatabase(kind);
    const dataSource = new DataSource({
      ...db.options,
      entities: [...WEBHOOK_ENTITIES, ...IDEMPOTENCY_ENTITIES],
      synchronize: true,
      logging: false,
    } as ConstructorParameters<typeof DataSource>[0]);
    await dataSource.initialize();
    try {
      expect(await eventLogTriggersInstalled(dataSource)).toBe(false);
      await installEventLog(dataSource);
      await installEventLog(dataSource);
      expect(await eventLogTriggersInstalled(dataSource)).toBe(true);
      const change = await new WebhookInboxStore(dataSource).insertChange({
        investmentId: randomUUID(),
        status: 'PAID',
        changedAt: normaliseChangedAt(new Date().toISOString())!,
      });
      expect(await events(dataSource)).toEqual([
        {
          name: 'cashlink.investment.status_changed',
          source: 'webhook',
          source_id: change.id,
          state: 'pending',
        },
      ]);
    } finally {
      await dataSource.destroy();
      await db.drop();
    }
  });

  it('upgrades an inbox in use: every pending change gets its event, processed ones none; then triggers write them', async () => {
    const { db, dataSource } = await open();
    try {
      await dataSource.runMigrations();
      // The schema before the event log (undoing the later migrations on the way).
      for (let i = 0; i < 4; i++) await dataSource.undoLastMigration();
      expect(await eventLogTriggersInstalled(dataSource)).toBe(false);
      const store = new WebhookInboxStore(dataSource);
      const change = (status: string) => ({
        investmentId: randomUUID(),
        status,
        changedAt: normaliseChangedAt(new Date().toISOString())!,
      });
      const pending = await store.insertChange(change('PAID'));
      const processed = await store.insertChange(change('ACCEPTED'));
      await dataSource.query(
        `UPDATE "cashlink_webhook_inbox" SET "state" = 'processed' WHERE "id" = '${processed.id}'`,
      );
      await store.insertQuarantined('{"not":"a change"}');

      expect((await dataSource.runMigrations()).map((m) => m.name)).toEqual([
        CreateCashlinkEventLog1796100000000.name,
        'CashlinkDataProtection1796200000000',
        'CashlinkEventLogTriggers1796300000000',
        'CashlinkEventLogNeedsReview1796400000000',
      ]);
      expect(await eventLogTriggersInstalled(dataSource)).toBe(true);
      expect(await events(dataSource)).toEqual([
        {
          name: 'cashlink.investment.status_changed',
          source: 'webhook',
          source_id: pending.id,
          state: 'pending',
        },
      ]);

      // From now on the database writes the event with the change, in its statement.
      const later = await store.insertChange(change('SETTLED'));
      expect((await store.insertChange({ ...change('SETTLED') })).inserted).toBe(true);
      const rows = await events(dataSource);
      expect(rows).toHaveLength(3);
      expect(rows[1]).toMatchObject({ source_id: later.id, state: 'pending' });

      // An intent settling writes its event (the trigger fires on the state leaving 'pending' only).
      await dataSource.query(
        `INSERT INTO "cashlink_intents" ("idempotency_key", "operation", "method", "path", "request_body", "request_hash", "state", "attempts", "next_attempt_at", "created_at", "updated_at") ` +
          `VALUES ('k-1', 'investments.create', 'POST', '/v2/investments/', '{}', 'h', 'pending', 1, 1, 1, 1)`,
      );
      await dataSource.query(`UPDATE "cashlink_intents" SET "attempts" = 2 WHERE "idempotency_key" = 'k-1'`);
      expect(await events(dataSource)).toHaveLength(3);
      await dataSource.query(
        `UPDATE "cashlink_intents" SET "state" = 'succeeded', "updated_at" = 2 WHERE "idempotency_key" = 'k-1'`,
      );
      expect((await events(dataSource))[3]).toEqual({
        name: 'cashlink.intent.succeeded',
        source: 'intent',
        source_id: 'k-1',
        state: 'pending',
      });
      // An intent stopped in needs_review is announced as expired (it waits for a person too).
      await dataSource.query(
        `INSERT INTO "cashlink_intents" ("idempotency_key", "operation", "method", "path", "request_body", "request_hash", "state", "attempts", "next_attempt_at", "created_at", "updated_at") ` +
          `VALUES ('k-2', 'investments.create', 'POST', '/v2/investments/', '{}', 'h', 'pending', 1, 1, 1, 1)`,
      );
      await dataSource.query(
        `UPDATE "cashlink_intents" SET "state" = 'needs_review', "updated_at" = 3 WHERE "idempotency_key" = 'k-2'`,
      );
      expect((await events(dataSource))[4]).toEqual({
        name: 'cashlink.intent.expired',
        source: 'intent',
        source_id: 'k-2',
        state: 'pending',
      });

      // The schema builder of the library's entities has nothing to change (the event log has none).
      const sql = await dataSource.driver.createSchemaBuilder().log();
      expect(sql.upQueries.map((q) => q.query).filter((q) => q.includes('cashlink_event'))).toEqual([]);

      // And back: the tables and triggers go, the inbox and intents keep working.
      for (let i = 0; i < 4; i++) await dataSource.undoLastMigration();
      expect(await eventLogTriggersInstalled(dataSource)).toBe(false);
      expect((await store.insertChange(change('PAID'))).inserted).toBe(true);
    } finally {
      await dataSource.destroy();
      await db.drop();
    }
  });
});
