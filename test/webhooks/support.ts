import { DataSource } from 'typeorm';
import { CASHLINK_MIGRATIONS } from '../../libs/cashlink/src/migrations';
import { WEBHOOK_ENTITIES } from '../../libs/cashlink/src/webhooks/webhooks.providers';
import { createTestDatabase, type DatabaseKind, type TestDatabase } from '../support/databases';

/** A fresh database with the library's migrations run, and a DataSource on it. */
export async function openInboxDatabase(
  kind: DatabaseKind,
): Promise<{ db: TestDatabase; dataSource: DataSource }> {
  const db = await createTestDatabase(kind);
  const dataSource = new DataSource({
    ...db.options,
    entities: WEBHOOK_ENTITIES,
    migrations: CASHLINK_MIGRATIONS,
    migrationsRun: true,
    logging: false,
  });
  await dataSource.initialize();
  return { db, dataSource };
}

export async function closeInboxDatabase(
  handle: { db: TestDatabase; dataSource: DataSource } | undefined,
): Promise<void> {
  if (!handle) return;
  if (handle.dataSource.isInitialized) await handle.dataSource.destroy();
  await handle.db.drop();
}

/** Polls until `check` returns true (tests wait for asynchronous dispatch this way, never on a timer alone). */
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  timeoutMs = 15000,
  what = 'condition',
): Promise<void> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > timeoutMs) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The table where multi-process fixture apps record each event they handled (see webhooks-test-app.ts). */
export async function createReceivedTable(dataSource: DataSource): Promise<void> {
  const id =
    dataSource.options.type === 'postgres' ? 'SERIAL PRIMARY KEY' : 'INTEGER PRIMARY KEY AUTOINCREMENT';
  await dataSource.query(
    `CREATE TABLE test_received (id ${id}, inbox_id VARCHAR(36) NOT NULL, investment_id VARCHAR(64) NOT NULL, status VARCHAR(64) NOT NULL, pid INTEGER NOT NULL)`,
  );
}
