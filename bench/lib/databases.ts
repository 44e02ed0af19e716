/**
 * A fresh, isolated database per benchmark run: an SQLite temp file or a new PostgreSQL database
 * (dropped afterwards). A copy of test/support/databases.ts without its Jest helpers, so that the
 * benchmarks run under plain Node.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';

export type DatabaseKind = 'sqlite' | 'postgres';

export const POSTGRES_URL =
  process.env.CASHLINK_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export type BenchDatabaseOptions =
  { type: 'better-sqlite3'; database: string } | { type: 'postgres'; url: string };

export interface BenchDatabase {
  kind: DatabaseKind;
  options: BenchDatabaseOptions;
  drop(): Promise<void>;
}

export async function postgresAvailable(): Promise<boolean> {
  const client = new Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

export async function createBenchDatabase(kind: DatabaseKind): Promise<BenchDatabase> {
  if (kind === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'cashlink-bench-'));
    return {
      kind,
      options: { type: 'better-sqlite3', database: join(dir, 'db.sqlite') },
      drop: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  const name = `cashlink_bench_${randomUUID().replace(/-/g, '').slice(0, 16)}`;
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
    drop: async () => {
      const client = new Client({ connectionString: POSTGRES_URL });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}
