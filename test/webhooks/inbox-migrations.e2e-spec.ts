import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { CASHLINK_MIGRATIONS } from '../../libs/cashlink/src/migrations';
import { CreateCashlinkWebhookInbox1795990000000 } from '../../libs/cashlink/src/migrations/1795990000000-create-cashlink-webhook-inbox';
import { CashlinkWebhookInboxChangeIndex1796000000000 } from '../../libs/cashlink/src/migrations/1796000000000-cashlink-webhook-inbox-change-index';
import { WebhookInboxStore } from '../../libs/cashlink/src/webhooks/webhook-inbox.store';
import {
  normaliseChangedAt,
  quarantineDedupeKey,
  statusChangeDedupeKey,
} from '../../libs/cashlink/src/webhooks/webhook-status-change';
import { WEBHOOK_ENTITIES } from '../../libs/cashlink/src/webhooks/webhooks.providers';
import { createTestDatabase, describeEachDatabase } from '../support/databases';

jest.setTimeout(30_000);

const at = (iso: string) => normaliseChangedAt(iso)!;

describeEachDatabase('webhook inbox migrations', (kind) => {
  const open = async (migrations: NonNullable<ConstructorParameters<typeof DataSource>[0]['migrations']>) => {
    const db = await createTestDatabase(kind);
    const dataSource = new DataSource({
      ...db.options,
      entities: WEBHOOK_ENTITIES,
      migrations,
      synchronize: false,
      logging: false,
    } as ConstructorParameters<typeof DataSource>[0]);
    await dataSource.initialize();
    return { db, dataSource };
  };

  it('match the entity: the same indexes, and no pending schema change on Postgres', async () => {
    const { db, dataSource } = await open(CASHLINK_MIGRATIONS);
    const runner = dataSource.createQueryRunner();
    try {
      await dataSource.runMigrations();
      const table = (await runner.getTable('cashlink_webhook_inbox'))!;
      // Column sets here (TypeORM reads a Postgres index's columns in table order); the order is checked below.
      const describe = (name: string, columns: string[], unique: boolean | undefined) =>
        `${name} (${[...columns].sort().join(', ')})${unique ? ' unique' : ''}`;
      const metadata = dataSource.getMetadata('cashlink_webhook_inbox');
      expect(table.indices.map((i) => describe(i.name!, i.columnNames, i.isUnique)).sort()).toEqual(
        metadata.indices
          .map((i) =>
            describe(
              i.name!,
              i.columns.map((c) => c.databaseName),
              i.isUnique,
            ),
          )
          .sort(),
      );
      // The watermark reads the change index by its (investment_id, changed_at) prefix.
      const order =
        kind === 'postgres'
          ? (
              (await dataSource.query(
                `SELECT "indexdef" FROM "pg_indexes" WHERE "indexname" = 'UQ_cashlink_webhook_inbox_change'`,
              )) as Array<{ indexdef: string }>
            )[0]!.indexdef
          : table.indices.find((i) => i.name === 'UQ_cashlink_webhook_inbox_change')!.columnNames.join(', ');
      expect(order.replace(/"/g, '')).toContain('investment_id, changed_at, status');
      const partial = table.indices.find((i) => i.name === 'UQ_cashlink_webhook_inbox_quarantine_key');
      expect(partial?.where?.replace(/[()"]/g, '')).toBe('investment_id IS NULL');
      if (kind === 'postgres') {
        // On SQLite the schema builder also wants the table rebuilt for `stale`'s default, written
        // `false` by the first migration and `0` by the entity (the same value): not an index matter.
        const sql = await dataSource.driver.createSchemaBuilder().log();
        expect(sql.upQueries.map((q) => q.query)).toEqual([]);
      }
    } finally {
      await runner.release();
      await dataSource.destroy();
      await db.drop();
    }
  });

  it('the change index keeps a table in use deduplicating, and reverts', async () => {
    const { db, dataSource } = await open([
      CreateCashlinkWebhookInbox1795990000000,
      CashlinkWebhookInboxChangeIndex1796000000000,
    ]);
    try {
      await dataSource.runMigrations();
      await dataSource.undoLastMigration(); // the table as the first release created it
      const change = { investmentId: randomUUID(), status: 'PAID', changedAt: at('2026-01-01T10:00:00Z') };
      const stored = { id: randomUUID() };
      const junk = { id: randomUUID() };
      await dataSource.query(
        `INSERT INTO "cashlink_webhook_inbox" ("id", "dedupe_key", "investment_id", "status", "changed_at", "received_at", "state", "attempts", "next_attempt_at")
         VALUES ('${stored.id}', '${statusChangeDedupeKey(change)}', '${change.investmentId}', 'PAID', '${change.changedAt}', 1, 'processed', 1, 1),
                ('${junk.id}', '${quarantineDedupeKey('{"not":"a change"}')}', NULL, NULL, NULL, 1, 'quarantined', 0, 1)`,
      );

      await dataSource.runMigrations();
      const runner = dataSource.createQueryRunner();
      try {
        const indices = (await runner.getTable('cashlink_webhook_inbox'))!.indices.map((i) => i.name);
        expect(indices).toEqual(
          expect.arrayContaining([
            'UQ_cashlink_webhook_inbox_change',
            'UQ_cashlink_webhook_inbox_quarantine_key',
          ]),
        );
        expect(indices).not.toContain('UQ_cashlink_webhook_inbox_dedupe_key');
        expect(indices).not.toContain('IDX_cashlink_webhook_inbox_investment');
      } finally {
        await runner.release();
      }
      // A repeat of a change stored before the upgrade, and of the quarantined body, add nothing.
      const upgraded = new WebhookInboxStore(dataSource);
      expect(await upgraded.insertChange(change)).toEqual({ inserted: false, id: stored.id });
      expect(await upgraded.insertQuarantined('{"not":"a change"}')).toEqual({
        inserted: false,
        id: junk.id,
      });
      expect(await upgraded.list()).toHaveLength(2);
      // Back to the first schema: its indexes build on the rows stored since (the keys are still unique).
      await dataSource.undoLastMigration();
      const reverted = dataSource.createQueryRunner();
      try {
        const indices = (await reverted.getTable('cashlink_webhook_inbox'))!.indices.map((i) => i.name);
        expect(indices.sort()).toEqual([
          'IDX_cashlink_webhook_inbox_due',
          'IDX_cashlink_webhook_inbox_investment',
          'UQ_cashlink_webhook_inbox_dedupe_key',
        ]);
      } finally {
        await reverted.release();
      }
    } finally {
      await dataSource.destroy();
      await db.drop();
    }
  });

  it('dedupes quarantined bodies by their key and changes by their columns', async () => {
    const { db, dataSource } = await open(CASHLINK_MIGRATIONS);
    try {
      await dataSource.runMigrations();
      const store = new WebhookInboxStore(dataSource);
      const a = await store.insertQuarantined('same junk');
      const b = await store.insertQuarantined('same junk');
      const c = await store.insertQuarantined('other junk');
      expect([a.inserted, b.inserted, c.inserted]).toEqual([true, false, true]);
      expect(b.id).toBe(a.id);
      const change = { investmentId: randomUUID(), status: 'PAID', changedAt: at('2026-01-01T10:00:00Z') };
      const first = await store.insertChange(change);
      const second = await store.insertChange({ ...change, status: 'SETTLED' });
      expect([first.inserted, second.inserted]).toEqual([true, true]);
      expect((await store.insertChange(change)).id).toBe(first.id);
    } finally {
      await dataSource.destroy();
      await db.drop();
    }
  });

  it('keeps the change index when it was built beforehand (CREATE INDEX CONCURRENTLY on a large inbox)', async () => {
    const { db, dataSource } = await open([
      CreateCashlinkWebhookInbox1795990000000,
      CashlinkWebhookInboxChangeIndex1796000000000,
    ]);
    try {
      await dataSource.runMigrations();
      await dataSource.undoLastMigration();
      await dataSource.query(
        `CREATE UNIQUE INDEX ${kind === 'postgres' ? 'CONCURRENTLY ' : ''}"UQ_cashlink_webhook_inbox_change" ON "cashlink_webhook_inbox" ("investment_id", "changed_at", "status")`,
      );
      expect((await dataSource.runMigrations()).map((m) => m.name)).toEqual([
        CashlinkWebhookInboxChangeIndex1796000000000.name,
      ]);
      const change = { investmentId: randomUUID(), status: 'PAID', changedAt: at('2026-01-01T10:00:00Z') };
      const store = new WebhookInboxStore(dataSource);
      expect((await store.insertChange(change)).inserted).toBe(true);
      expect((await store.insertChange(change)).inserted).toBe(false);
    } finally {
      await dataSource.destroy();
      await db.drop();
    }
  });
});
