/**
 * Prepares a fresh benchmark database: runs the library's migrations, then writes backlogs straight
 * into the library's tables (pending webhook inbox rows, pending intents) in bulk, as a crashed or
 * overloaded app would have left them. Bulk SQL, not the library, so that seeding 100,000 rows takes
 * seconds; the rows have exactly the shape the library writes.
 */
import 'reflect-metadata';
import { createHash, randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import { DataSource } from 'typeorm';
import { CASHLINK_MIGRATIONS } from 'nestjs-cashlink';
import { EMULATOR_CAMPAIGN_ID } from 'nestjs-cashlink/testing';
import type { BenchDatabaseOptions } from './databases';

// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export async function openMigrated(db: BenchDatabaseOptions, entities: Function[] = []): Promise<DataSource> {
  const dataSource = new DataSource({
    ...db,
    entities,
    migrations: CASHLINK_MIGRATIONS,
    migrationsRun: true,
    synchronize: false,
    logging: false,
  });
  await dataSource.initialize();
  return dataSource;
}

/** A normalised `changed_at` (UTC, nine fraction digits), distinct per row. */
function changedAt(i: number): string {
  const base = Date.UTC(2026, 0, 1) + Math.floor(i / 1000) * 1000;
  const ns = String((i % 1000) * 1_000_000).padStart(9, '0');
  return `${new Date(base).toISOString().slice(0, 19)}.${ns}Z`;
}

/** Inserts `count` pending, due inbox rows (one status change each of a distinct investment). */
export async function seedInbox(
  dataSource: DataSource,
  count: number,
  /** The changed investments, one per row (e.g. investments the emulator holds); random ids by default. */
  investmentIds?: readonly string[],
): Promise<void> {
  const now = Date.now();
  const rows = Array.from({ length: count }, (_, i) => {
    const investmentId = investmentIds?.[i] ?? randomUUID();
    const at = changedAt(i);
    const key = createHash('sha256').update(`${investmentId}|ACCEPTED|${at}`).digest('hex');
    return [randomUUID(), key, investmentId, 'ACCEPTED', at, now, 'pending', 0, now] as const;
  });
  const columns =
    '"id", "dedupe_key", "investment_id", "status", "changed_at", "received_at", "state", "attempts", "next_attempt_at"';
  await bulkInsert(dataSource, 'cashlink_webhook_inbox', columns, rows);
}

/** Inserts `count` pending, due `investments.create` intents for `investorId`. */
export async function seedIntents(dataSource: DataSource, count: number, investorId: string): Promise<void> {
  const now = Date.now();
  const json = {
    investor_id: investorId,
    campaign_id: EMULATOR_CAMPAIGN_ID,
    units: 1,
    signed_at: new Date(now).toISOString(),
  };
  const body = JSON.stringify({ json });
  const hash = createHash('sha256').update(body).digest('hex');
  const rows = Array.from(
    { length: count },
    () =>
      [
        randomUUID(),
        'investments.create',
        'POST',
        '/v2/investments/',
        body,
        hash,
        'pending',
        0,
        now,
        now,
        now,
      ] as const,
  );
  const columns =
    '"idempotency_key", "operation", "method", "path", "request_body", "request_hash", "state", "attempts", "next_attempt_at", "created_at", "updated_at"';
  await bulkInsert(dataSource, 'cashlink_intents', columns, rows);
}

async function bulkInsert(
  dataSource: DataSource,
  table: string,
  columns: string,
  rows: ReadonlyArray<ReadonlyArray<string | number>>,
): Promise<void> {
  const width = rows[0]?.length ?? 0;
  if (width === 0) return;
  if (dataSource.options.type === 'better-sqlite3') {
    const sqlite = (dataSource.driver as unknown as { databaseConnection: Database.Database })
      .databaseConnection;
    const insert = sqlite.prepare(
      `INSERT INTO "${table}" (${columns}) VALUES (${Array(width).fill('?').join(', ')})`,
    );
    sqlite.transaction(() => {
      for (const row of rows) insert.run(...row);
    })();
  } else {
    const chunk = Math.floor(30000 / width);
    await dataSource.transaction(async (manager) => {
      for (let i = 0; i < rows.length; i += chunk) {
        const part = rows.slice(i, i + chunk);
        const values = part
          .map((_, r) => `(${Array.from({ length: width }, (_, c) => `$${r * width + c + 1}`).join(', ')})`)
          .join(', ');
        await manager.query(`INSERT INTO "${table}" (${columns}) VALUES ${values}`, part.flat());
      }
    });
  }
  if (dataSource.options.type === 'postgres') await dataSource.query(`ANALYZE "${table}"`);
}

/** Rows of `table` still pending. */
export async function countPending(
  dataSource: DataSource,
  table: 'cashlink_webhook_inbox' | 'cashlink_intents',
): Promise<number> {
  const rows = (await dataSource.query(
    `SELECT COUNT(*) AS "n" FROM "${table}" WHERE "state" = 'pending'`,
  )) as Array<{
    n: string | number;
  }>;
  return Number(rows[0]?.n ?? 0);
}
