import { DataSource } from 'typeorm';
import { CASHLINK_MIGRATIONS } from '../../libs/cashlink/src/migrations';
import { createTestDatabase, type DatabaseKind, type TestDatabase } from '../support/databases';
import { createEffectsTable } from './fixtures/events-app';

/** A fresh database with the library's migrations run and `test_effects`, and a DataSource on it. */
export async function openEventsDatabase(
  kind: DatabaseKind,
): Promise<{ db: TestDatabase; dataSource: DataSource }> {
  const db = await createTestDatabase(kind);
  const dataSource = new DataSource({
    ...db.options,
    migrations: CASHLINK_MIGRATIONS,
    migrationsRun: true,
    logging: false,
  } as ConstructorParameters<typeof DataSource>[0]);
  await dataSource.initialize();
  await createEffectsTable(dataSource);
  return { db, dataSource };
}

export async function closeEventsDatabase(handle: { db: TestDatabase; dataSource: DataSource } | undefined) {
  if (!handle) return;
  if (handle.dataSource.isInitialized) await handle.dataSource.destroy();
  await handle.db.drop();
}

/** Effects recorded by handler name: source id → how many times. */
export async function effects(dataSource: DataSource, handler: string): Promise<Map<string, number>> {
  const pg = dataSource.options.type === 'postgres';
  const rows = (await dataSource.query(
    `SELECT source_id, COUNT(*) AS n FROM test_effects WHERE handler = ${pg ? '$1' : '?'} GROUP BY source_id`,
    [handler],
  )) as Array<{ source_id: string; n: string | number }>;
  return new Map(rows.map((r) => [r.source_id, Number(r.n)]));
}

export async function countEvents(dataSource: DataSource, state?: string): Promise<number> {
  const pg = dataSource.options.type === 'postgres';
  const rows = (await dataSource.query(
    `SELECT COUNT(*) AS n FROM cashlink_events${state ? ` WHERE state = ${pg ? '$1' : '?'}` : ''}`,
    state ? [state] : [],
  )) as Array<{ n: string | number }>;
  return Number(rows[0]!.n);
}

/** Polls until `check` is true. */
export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string) {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > timeoutMs) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Delivers a webhook like Cashlink: retried until a 2xx, at whatever origin `origin()` answers now. */
export async function deliverUntilAccepted(origin: () => string, token: string, body: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      const response = await fetch(`${origin()}/cashlink/webhooks`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
        body,
        signal: AbortSignal.timeout(10_000),
      });
      await response.arrayBuffer();
      if (response.ok) return;
    } catch {
      // connection refused (a killed instance) or reset: retried below
    }
    if (attempt >= 400) throw new Error('delivery kept failing');
    await new Promise((resolve) => setTimeout(resolve, Math.min(200, 10 * attempt)));
  }
}
