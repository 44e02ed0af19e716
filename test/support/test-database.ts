/**
 * Isolated real databases: an SQLite temp file, or a fresh PostgreSQL database dropped afterwards, so
 * that parallel test files (and benchmark runs) never share tables. Plain Node, no Jest globals: the
 * benchmarks use it too. The Jest helpers are in `databases.ts`.
 *
 * PostgreSQL is reached at CASHLINK_TEST_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/test).
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { POSTGRES_URL } from './postgres-url';

export { POSTGRES_URL };

export type DatabaseKind = 'sqlite' | 'postgres';

/** Connection settings of one isolated database, in the shape TypeORM's DataSource takes. */
export type TestDatabaseOptions =
  { type: 'better-sqlite3'; database: string } | { type: 'postgres'; url: string };

export interface TestDatabase {
  kind: DatabaseKind;
  /** TypeORM connection options (spread them into `new DataSource({...})` or `TypeOrmModule.forRoot`). */
  options: TestDatabaseOptions;
  /** A URL a child process can use: a file path for SQLite, a postgres:// URL for Postgres. */
  url: string;
  drop(): Promise<void>;
}

/**
 * Whether PostgreSQL answered the check made once per run by `test/support/global-setup.ts`
 * (which fails the run when CI=true and Postgres is down).
 */
export function isPostgresAvailable(): boolean {
  return process.env.CASHLINK_TEST_POSTGRES !== 'unavailable';
}

/** Creates an isolated database of the given kind. */
export async function createTestDatabase(kind: DatabaseKind): Promise<TestDatabase> {
  if (kind === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'cashlink-sqlite-'));
    const file = join(dir, 'db.sqlite');
    return {
      kind,
      options: { type: 'better-sqlite3', database: file },
      url: file,
      drop: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  const name = `cashlink_test_${randomUUID().replace(/-/g, '').slice(0, 16)}`;
  const admin = new Client({ connectionString: POSTGRES_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(POSTGRES_URL);
  url.pathname = `/${name}`;
  return {
    kind,
    options: { type: 'postgres', url: url.toString() },
    url: url.toString(),
    drop: async () => {
      const c = new Client({ connectionString: POSTGRES_URL });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}

/** Whether PostgreSQL answers at POSTGRES_URL right now. */
export async function postgresAnswers(timeoutMs = 3000): Promise<boolean> {
  const client = new Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: timeoutMs });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}
