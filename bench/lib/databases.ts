/**
 * A fresh, isolated database per benchmark run: an SQLite temp file or a new PostgreSQL database
 * (dropped afterwards), from the tests' own plain-Node helper.
 */
import {
  createTestDatabase,
  postgresAnswers,
  type DatabaseKind,
  type TestDatabase,
  type TestDatabaseOptions,
} from '../../test/support/test-database';

export { POSTGRES_URL, type DatabaseKind } from '../../test/support/test-database';

export type BenchDatabaseOptions = TestDatabaseOptions;
export type BenchDatabase = TestDatabase;

export function postgresAvailable(): Promise<boolean> {
  return postgresAnswers(2000);
}

/**
 * SQLite runs in WAL mode with synchronous=FULL, as the demo app configures it (`enableWAL: true`,
 * `synchronous = FULL`): each commit is synced by SQLite, as durable as with the rollback journal.
 * `BENCH_SQLITE_SYNCHRONOUS=NORMAL` measures what better-sqlite3 gives a connection that opens a
 * database already in WAL mode: SQLite does not sync commits, and the library syncs the log of its own
 * commits off the event loop before it resolves them.
 * `BENCH_SQLITE_WAL=0` measures TypeORM's default rollback journal instead.
 */
export const SQLITE_WAL = process.env.BENCH_SQLITE_WAL !== '0';
export const SQLITE_SYNCHRONOUS = process.env.BENCH_SQLITE_SYNCHRONOUS === 'NORMAL' ? 'NORMAL' : 'FULL';

export async function createBenchDatabase(kind: DatabaseKind): Promise<BenchDatabase> {
  const db = await createTestDatabase(kind);
  if (SQLITE_WAL && db.options.type === 'better-sqlite3') {
    return { ...db, options: { ...db.options, enableWAL: true } as BenchDatabaseOptions };
  }
  return db;
}
