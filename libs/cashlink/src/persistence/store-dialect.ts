import type { DataSource } from 'typeorm';
import { runPostgresStatement } from './postgres-statements';
import { SqliteGroupCommit, type SqliteGroupWriteOptions } from './sqlite-group-commit';

export type StoreRows = Array<Record<string, unknown>>;

/**
 * How a store of the library talks to its database, chosen once from the DataSource: the SQL written
 * with `?` placeholders, the dialect turns into its own and runs it the library's way. A store written
 * on it has no `postgres` branch of its own.
 */
export interface StoreDialect {
  readonly kind: 'sqlite' | 'postgres';
  /** `?` placeholders as the dialect's (`$n` on Postgres). */
  text(sql: string): string;
  /** Appended to a claim's candidate `SELECT` (`FOR UPDATE SKIP LOCKED` on Postgres: instances do not queue). */
  readonly skipLocked: string;
  /**
   * One statement of the library's own, committed on its own and outside any transaction of the app:
   * SQLite through the DataSource's group commit (`SqliteGroupCommit`), Postgres on a pooled connection.
   * Answers its rows (`RETURNING`).
   */
  write(sql: string, params: unknown[], options?: SqliteGroupWriteOptions): Promise<StoreRows>;
  /** A read (no transaction of its own needed). */
  read(sql: string, params: unknown[]): Promise<StoreRows>;
}

const dialects = new WeakMap<DataSource, StoreDialect>();

/** The dialect of `dataSource` (one per DataSource). */
export function storeDialectOf(dataSource: DataSource): StoreDialect {
  let dialect = dialects.get(dataSource);
  if (!dialect) {
    dialect =
      dataSource.options.type === 'postgres' ? postgresDialect(dataSource) : sqliteDialect(dataSource);
    dialects.set(dataSource, dialect);
  }
  return dialect;
}

function postgresDialect(dataSource: DataSource): StoreDialect {
  const texts = new Map<string, string>();
  const text = (sql: string): string => {
    let converted = texts.get(sql);
    if (converted === undefined) {
      let n = 0;
      converted = sql.replace(/\?/g, () => `$${++n}`);
      // Statements with `IN (?, ?, …)` vary with the list: keep the cache bounded.
      if (texts.size < 1000) texts.set(sql, converted);
    }
    return converted;
  };
  return {
    kind: 'postgres',
    text,
    skipLocked: ' FOR UPDATE SKIP LOCKED',
    write: async (sql, params) =>
      (await runPostgresStatement(dataSource, { text: text(sql), values: params })).rows,
    read: async (sql, params) => (await dataSource.query(text(sql), params)) as StoreRows,
  };
}

function sqliteDialect(dataSource: DataSource): StoreDialect {
  const group = SqliteGroupCommit.of(dataSource);
  return {
    kind: 'sqlite',
    text: (sql) => sql,
    skipLocked: '',
    write: async (sql, params, options) => {
      const rows = await group.all(sql, params, options);
      // Not better-sqlite3 (another SQLite driver): the ordinary query runner.
      return (rows ?? ((await dataSource.query(sql, params)) as unknown[])) as StoreRows;
    },
    read: async (sql, params) => (await dataSource.query(sql, params)) as StoreRows,
  };
}
