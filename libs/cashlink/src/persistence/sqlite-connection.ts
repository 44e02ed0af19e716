import type { DataSource } from 'typeorm';
import { CashlinkError } from '../errors/cashlink.error';

/** The part of a better-sqlite3 `Database` the stores use. */
export interface SqliteHandle {
  inTransaction: boolean;
  prepare(sql: string): {
    run(...params: unknown[]): { changes: number };
    all(...params: unknown[]): unknown[];
  };
  transaction<T>(fn: () => T): () => T;
}

/** How long a store's write waits for the app's transaction on SQLite's shared connection. */
export const SQLITE_IDLE_WAIT_MS = 30_000;

/**
 * The raw better-sqlite3 handle behind a TypeORM DataSource, or null for any other driver (Postgres,
 * or a driver whose connection is not better-sqlite3's: its `prepare` would not run synchronously).
 */
export function rawSqliteHandle(dataSource: DataSource): SqliteHandle | null {
  if (dataSource.options.type !== 'better-sqlite3') return null;
  const connection = (dataSource.driver as unknown as { databaseConnection?: Partial<SqliteHandle> })
    .databaseConnection;
  if (
    !connection ||
    typeof connection.prepare !== 'function' ||
    typeof connection.transaction !== 'function' ||
    typeof connection.inTransaction !== 'boolean'
  ) {
    return null;
  }
  return connection as SqliteHandle;
}

/** The raw handle when no transaction is open on it right now, else null (never waits). */
export function sqliteHandleIfIdle(dataSource: DataSource): SqliteHandle | null {
  const connection = rawSqliteHandle(dataSource);
  return connection && !connection.inTransaction ? connection : null;
}

/** Settings of {@link idleSqliteConnection}. */
export interface IdleSqliteWaitOptions {
  /** @default SQLITE_IDLE_WAIT_MS (30 s) */
  maxWaitMs?: number;
  /**
   * The error thrown when the connection stayed inside a transaction for `maxWaitMs`: say what was not
   * written and what the caller can do.
   */
  timeoutError?: (waitedMs: number) => Error;
}

/**
 * SQLite: TypeORM runs every query of the process on one better-sqlite3 connection, so a statement
 * issued while the app (or another feature) holds a transaction open on it would join that transaction
 * and vanish with its rollback — after we answered or sent as if it were stored. So a store's own write
 * waits until no transaction is open and then runs synchronously on the raw handle (nothing can
 * interleave; it commits on its own). Resolves null when the DataSource is not better-sqlite3 (use the
 * ordinary query runner then). After `maxWaitMs` it throws `timeoutError` (by default a CashlinkError
 * naming the usual cause: a write awaited inside the app's own transaction).
 */
export async function idleSqliteConnection(
  dataSource: DataSource,
  options: IdleSqliteWaitOptions = {},
): Promise<SqliteHandle | null> {
  const maxWaitMs = options.maxWaitMs ?? SQLITE_IDLE_WAIT_MS;
  const started = Date.now();
  for (;;) {
    // Read again on every turn: the driver may have reconnected (or been closed) while we waited.
    const connection = rawSqliteHandle(dataSource);
    if (!connection) return null;
    if (!connection.inTransaction) return connection;
    const waited = Date.now() - started;
    if (waited > maxWaitMs) {
      throw (
        options.timeoutError?.(waited) ??
        new CashlinkError(
          `The SQLite connection stayed inside a transaction for ${maxWaitMs} ms, so the write could not run on its own.`,
        )
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
