/**
 * The cost of one durable commit on this machine (the floor under every durable write): 50
 * single-row autocommit INSERTs on a temp SQLite file (in the journal mode the bench uses: WAL unless
 * BENCH_SQLITE_WAL=0; synchronous FULL, so that each commit is synced) and on Postgres, versus the same 50 in one transaction.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Client } from 'pg';
import { SQLITE_WAL, type BenchDatabaseOptions } from './databases';

export interface CommitCost {
  /** Milliseconds per autocommit INSERT. */
  perCommitMs: number;
  /** Milliseconds per INSERT when 50 share one commit. */
  perGroupedInsertMs: number;
}

const N = 50;

export function probeSqlite(): CommitCost {
  const dir = mkdtempSync(join(tmpdir(), 'cashlink-probe-'));
  const db = new Database(join(dir, 'probe.sqlite'));
  try {
    if (SQLITE_WAL) db.pragma('journal_mode = WAL');
    // A durable commit: SQLite syncs in it (the app's setting, NORMAL in WAL mode, leaves that to the library).
    db.pragma('synchronous = FULL');
    db.exec('CREATE TABLE probe (id INTEGER)');
    const insert = db.prepare('INSERT INTO probe VALUES (?)');
    let t = performance.now();
    for (let i = 0; i < N; i++) insert.run(i);
    const perCommitMs = (performance.now() - t) / N;
    t = performance.now();
    db.transaction(() => {
      for (let i = 0; i < N; i++) insert.run(i);
    })();
    return { perCommitMs, perGroupedInsertMs: (performance.now() - t) / N };
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function probePostgres(
  db: Extract<BenchDatabaseOptions, { type: 'postgres' }>,
): Promise<CommitCost> {
  const client = new Client({ connectionString: db.url });
  await client.connect();
  try {
    await client.query('CREATE TABLE probe (id INTEGER)');
    let t = performance.now();
    for (let i = 0; i < N; i++) await client.query('INSERT INTO probe VALUES ($1)', [i]);
    const perCommitMs = (performance.now() - t) / N;
    t = performance.now();
    await client.query('BEGIN');
    for (let i = 0; i < N; i++) await client.query('INSERT INTO probe VALUES ($1)', [i]);
    await client.query('COMMIT');
    return { perCommitMs, perGroupedInsertMs: (performance.now() - t) / N };
  } finally {
    await client.end();
  }
}
