import type { DataSource, EntityManager } from 'typeorm';
import { runPostgresClaim } from './postgres-claim';
import { PostgresGroupWriter, type PostgresGroupWriterOptions } from './postgres-group';
import {
  runPostgresStatement,
  runPostgresTransaction,
  statementName,
  withPostgresClient,
  type PgStatement,
} from './postgres-statements';
import { SqliteGroupCommit, type SqliteGroupWriteOptions } from './sqlite-group-commit';
import { idleSqliteConnection } from './sqlite-connection';

export { WRITE_ALONE } from './postgres-group';

export type StoreRows = Array<Record<string, unknown>>;

/** How one of the library's own writes runs (outside any transaction of the app). */
export interface StoreWriteOptions extends SqliteGroupWriteOptions {
  /**
   * Postgres: the statement's text is fixed (the parameters are values, never SQL), so it is prepared
   * once per connection under `<statement>_<hash of the text>` and then only executed. SQLite ignores it.
   */
  statement?: string;
}

/** A statement of the dialect's own placeholders (`$n` on Postgres), run on one session. */
export type SessionQuery = (statement: PgStatement | string) => Promise<{ rows: StoreRows }>;

/** What a group-committed writer answers (see `StoreDialect.groupWriter`). */
export interface GroupWriter<T, R> {
  /** Writes `item`; resolves with its result once it is committed. */
  submit(item: T): Promise<R>;
}

/**
 * How a store of the library talks to its database, chosen once from the DataSource: the SQL written
 * with `?` placeholders, the dialect turns into its own and runs it the library's way (SQLite: the
 * DataSource's group commit and WAL sync; Postgres: pooled connections, named statements, group
 * writers). A store written on it has no dialect branch of its own.
 */
export interface StoreDialect {
  readonly kind: 'sqlite' | 'postgres';
  /** `?` placeholders as the dialect's (`$n` on Postgres); converted once per text and cached. */
  text(sql: string): string;
  /** Appended to a claim's candidate `SELECT` (`FOR UPDATE SKIP LOCKED` on Postgres: instances do not queue). */
  readonly skipLocked: string;
  /**
   * A claim's re-check of its candidates in the outer `UPDATE` (` AND <condition>`): Postgres needs it (a
   * candidate picked with SKIP LOCKED may have changed before the update locks it); SQLite has one
   * writer, so nothing changes in between, and there the re-check would make the planner drive the
   * update from the condition's index, a scan of every pending row: empty on SQLite. Answers the SQL
   * to append and the `values` of its placeholders (none on SQLite).
   */
  recheck(condition: string, ...values: unknown[]): { sql: string; params: unknown[] };
  /**
   * ANDed to the `WHERE` of a write whose loss to a power cut only repeats work safely (a settlement: the
   * intent is sent again with its key), so that its commit does not wait for the log flush. Postgres:
   * `synchronous_commit` off for that statement's transaction only (`set_config(…, true)`, evaluated for
   * each row it changes; a later synchronous commit flushes it too, the log is written in order). SQLite:
   * empty (such a write is queued with `durable: false`: committed, not synced).
   */
  readonly unflushedCommit: string;
  /** A `?` placeholder with the type Postgres cannot deduce (`?::type`); SQLite needs none. */
  cast(type: string): string;
  /**
   * `<column> IN (…)` for `values`: on Postgres one array parameter (`= ANY(?::type[])`, a fixed text
   * whatever the number of values), on SQLite one placeholder per value. Answers the SQL and its params.
   */
  anyOf(column: string, values: readonly unknown[], type: string): { sql: string; params: unknown[] };
  /**
   * One statement of the library's own, committed on its own and outside any transaction of the app:
   * SQLite through the DataSource's group commit (`SqliteGroupCommit`: shared flushes, WAL sync),
   * Postgres on a pooled connection. Answers its rows (`RETURNING`).
   */
  write(sql: string, params: unknown[], options?: StoreWriteOptions): Promise<StoreRows>;
  /** As `write`, for a statement without `RETURNING`: answers how many rows it affected. */
  execute(sql: string, params: unknown[], options?: StoreWriteOptions): Promise<number>;
  /**
   * A leased claim (an `UPDATE … WHERE key IN (SELECT candidates … LIMIT ?{skipLocked}) RETURNING …`):
   * on Postgres in its own short transaction planned as an ordered index scan whatever the table's
   * statistics (`runPostgresClaim`), prepared under `options.statement`; on SQLite one statement of
   * the group commit (one writer at a time, so it is atomic). Answers the claimed rows.
   */
  claim(sql: string, params: unknown[], options: StoreWriteOptions): Promise<StoreRows>;
  /** A read (no transaction of its own needed). */
  read(sql: string, params: unknown[]): Promise<StoreRows>;
  /**
   * A statement on `manager`'s query runner (the caller's transaction). Answers its rows, whatever the
   * driver's shape (TypeORM's postgres driver answers UPDATE/DELETE … RETURNING as `[rows, count]`).
   */
  query(manager: EntityManager, sql: string, params: unknown[]): Promise<StoreRows>;
  /** As `query`, for a statement without `RETURNING`: answers how many rows it affected. */
  executeIn(manager: EntityManager, sql: string, params: unknown[]): Promise<number>;
  /**
   * Group commit of items written outside the app's transactions. Postgres: a `PostgresGroupWriter`
   * (`writeGroup` writes the items submitted together in one statement). SQLite: every item through
   * `writeOne`, whose statement the DataSource's group commit already shares a flush with the others of
   * its event-loop turn (`writeGroup` is not called).
   */
  groupWriter<T, R>(options: PostgresGroupWriterOptions<T, R>): GroupWriter<T, R>;
  /**
   * Postgres: `work` on one pooled connection, with statements of `$n` placeholders (a group's
   * statement, several in one `BEGIN` … `COMMIT`). Only the Postgres half of a `groupWriter` calls it.
   */
  session<T>(work: (query: SessionQuery) => Promise<T>): Promise<T>;
  /**
   * Postgres: one statement of `$n` placeholders on its own (a named one that a pooler lost runs again
   * unnamed: `runPostgresStatement`). Only the Postgres half of a `groupWriter` calls it.
   */
  statement(statement: PgStatement): Promise<StoreRows>;
  /**
   * Postgres: one named statement in its own short transaction whose first statement is `settings`
   * (`set_config(…, true)`: local to it). Only the Postgres half of a `groupWriter` calls it.
   */
  transaction(settings: string, statement: PgStatement): Promise<StoreRows>;
  /**
   * Before the library opens a transaction of its own on the DataSource: on SQLite it waits until no
   * transaction is open on the one shared connection (joining the app's would tie the two commits).
   */
  beforeTransaction(): Promise<void>;
}

const NO_RECHECK = Object.freeze({ sql: '', params: [] as unknown[] });

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

/** Rows of a `query()` answer: TypeORM's postgres driver answers UPDATE/DELETE … RETURNING as [rows, count]. */
function rowsOf(sql: string, result: unknown): StoreRows {
  const rows = result as unknown[];
  if (
    Array.isArray(rows) &&
    rows.length === 2 &&
    Array.isArray(rows[0]) &&
    typeof rows[1] === 'number' &&
    /^\s*(UPDATE|DELETE)/i.test(sql)
  ) {
    return rows[0] as StoreRows;
  }
  return (rows ?? []) as StoreRows;
}

/** A statement on `manager`'s runner; answers TypeORM's raw result (`records`, `affected`). */
async function onRunner(
  dataSource: DataSource,
  manager: EntityManager | undefined,
  sql: string,
  params: unknown[],
) {
  const own = manager?.queryRunner;
  const runner = own ?? dataSource.createQueryRunner();
  try {
    return await runner.query(sql, params, true);
  } finally {
    if (!own) await runner.release();
  }
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
  const statement = (sql: string, params: unknown[], prefix: string | undefined): PgStatement => {
    const converted = text(sql);
    return prefix === undefined
      ? { text: converted, values: params }
      : { name: statementName(prefix, converted), text: converted, values: params };
  };
  return {
    kind: 'postgres',
    text,
    skipLocked: ' FOR UPDATE SKIP LOCKED',
    unflushedCommit: ` AND set_config('synchronous_commit', 'off', true) IS NOT NULL`,
    recheck: (condition, ...values) => ({ sql: ` AND ${condition}`, params: values }),
    cast: (type) => `?::${type}`,
    anyOf: (column, values, type) => ({ sql: `${column} = ANY(?::${type}[])`, params: [values] }),
    write: async (sql, params, options) =>
      (await runPostgresStatement(dataSource, statement(sql, params, options?.statement))).rows,
    execute: async (sql, params, options) =>
      (await runPostgresStatement(dataSource, statement(sql, params, options?.statement))).rowCount ?? 0,
    claim: (sql, params, options) => runPostgresClaim(dataSource, statement(sql, params, options.statement)),
    read: async (sql, params) => (await dataSource.query(text(sql), params)) as StoreRows,
    query: async (manager, sql, params) => rowsOf(sql, await manager.query(text(sql), params)),
    executeIn: async (manager, sql, params) =>
      (await onRunner(dataSource, manager, text(sql), params)).affected ?? 0,
    groupWriter: (options) => new PostgresGroupWriter(options),
    session: (work) => withPostgresClient(dataSource, work),
    statement: async (pg) => (await runPostgresStatement(dataSource, pg)).rows,
    transaction: async (settings, pg) => (await runPostgresTransaction(dataSource, settings, pg)).rows,
    beforeTransaction: () => Promise.resolve(),
  };
}

function sqliteDialect(dataSource: DataSource): StoreDialect {
  const group = SqliteGroupCommit.of(dataSource);
  const write = async (sql: string, params: unknown[], options?: StoreWriteOptions): Promise<StoreRows> => {
    const rows = await group.all(sql, params, options);
    // Not better-sqlite3 (another SQLite driver): the ordinary query runner.
    return (rows ?? ((await dataSource.query(sql, params)) as unknown[])) as StoreRows;
  };
  const postgresOnly = (): never => {
    throw new Error('A Postgres session was asked of a SQLite DataSource');
  };
  return {
    kind: 'sqlite',
    text: (sql) => sql,
    skipLocked: '',
    unflushedCommit: '',
    recheck: () => NO_RECHECK,
    cast: () => '?',
    anyOf: (column, values) => ({
      sql: `${column} IN (${values.map(() => '?').join(', ')})`,
      params: values as unknown[],
    }),
    write,
    execute: async (sql, params, options) => {
      const changes = await group.run(sql, params, options);
      return changes ?? (await onRunner(dataSource, undefined, sql, params)).affected ?? 0;
    },
    claim: write,
    read: async (sql, params) => (await dataSource.query(sql, params)) as StoreRows,
    query: async (manager, sql, params) => rowsOf(sql, await manager.query(sql, params)),
    executeIn: async (manager, sql, params) =>
      (await onRunner(dataSource, manager, sql, params)).affected ?? 0,
    groupWriter: <T, R>(options: PostgresGroupWriterOptions<T, R>) => ({
      submit: (item: T) => options.writeOne(item),
    }),
    session: postgresOnly,
    statement: postgresOnly,
    transaction: postgresOnly,
    beforeTransaction: async () => {
      await idleSqliteConnection(dataSource);
    },
  };
}
