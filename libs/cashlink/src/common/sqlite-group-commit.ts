import type { DataSource } from 'typeorm';
import {
  idleSqliteConnection,
  type IdleSqliteWaitOptions,
  SQLITE_IDLE_WAIT_MS,
  type SqliteHandle,
  sqliteHandleIfIdle,
} from './sqlite-connection';

type SqliteStatement = ReturnType<SqliteHandle['prepare']>;

/** A statement waiting for the next group commit. */
interface QueuedStatement {
  sql: string;
  params: unknown[];
  mode: 'run' | 'all';
  resolve: (result: number | unknown[] | typeof BUSY) => void;
  reject: (error: unknown) => void;
}

/** The connection was inside someone's transaction when the group ran: wait for it, then queue again. */
const BUSY = Symbol('sqlite-busy');

/** Prepared statements kept per connection (statements with `IN (?, ?, …)` vary with the list size). */
const MAX_CACHED_STATEMENTS = 256;

/** Most statements in one transaction: a burst is split, so one commit never blocks the loop for long. */
const MAX_GROUP = 256;

const groups = new WeakMap<DataSource, SqliteGroupCommit>();

/**
 * Group commit for the library's own SQLite writes (intents and webhook inbox alike): the statements
 * issued in one event-loop turn run in one better-sqlite3 transaction after that turn's I/O callbacks
 * (`setImmediate`): one disk flush for the group instead of one each. On SQLite with `synchronous=FULL`
 * the flush is most of a write's cost, and better-sqlite3 performs it synchronously, blocking the event
 * loop (see bench/README.md). Each statement stays on its own, conditional and atomic, in the order
 * issued, and each caller gets its own result after the commit. If the group fails, each statement runs
 * again alone, so one failing statement fails only its caller.
 *
 * Like every store write on SQLite, a statement waits until no transaction is open on TypeORM's one
 * shared connection (see `idleSqliteConnection`): joining the app's transaction would make it vanish
 * with a rollback. One instance per DataSource, shared by every store on it, so the intents of
 * concurrent writes, their settlements, stored webhooks and the dispatcher's marks share flushes.
 */
export class SqliteGroupCommit {
  private queue: QueuedStatement[] = [];
  private readonly statements = new WeakMap<SqliteHandle, Map<string, SqliteStatement>>();

  private constructor(private readonly dataSource: DataSource) {}

  /** The group commit of `dataSource` (one per DataSource). */
  static of(dataSource: DataSource): SqliteGroupCommit {
    let group = groups.get(dataSource);
    if (!group) {
      group = new SqliteGroupCommit(dataSource);
      groups.set(dataSource, group);
    }
    return group;
  }

  /**
   * Runs a statement (`?` placeholders) in the next group; resolves with its changed-row count after
   * the commit, or null when the DataSource is not better-sqlite3 (use the ordinary query runner then).
   */
  run(sql: string, params: unknown[], wait?: IdleSqliteWaitOptions): Promise<number | null> {
    return this.write(sql, params, 'run', wait) as Promise<number | null>;
  }

  /** Like `run`, for a statement that answers rows (`RETURNING`): resolves with the rows. */
  all(sql: string, params: unknown[], wait?: IdleSqliteWaitOptions): Promise<unknown[] | null> {
    return this.write(sql, params, 'all', wait) as Promise<unknown[] | null>;
  }

  private async write(
    sql: string,
    params: unknown[],
    mode: 'run' | 'all',
    wait: IdleSqliteWaitOptions | undefined,
  ): Promise<number | unknown[] | null> {
    // One deadline for the whole write, however often a group finds the connection taken again.
    const started = Date.now();
    const maxWaitMs = wait?.maxWaitMs ?? SQLITE_IDLE_WAIT_MS;
    for (;;) {
      const idle = await idleSqliteConnection(this.dataSource, {
        maxWaitMs: Math.max(0, maxWaitMs - (Date.now() - started)),
        ...(wait?.timeoutError ? { timeoutError: () => wait.timeoutError!(Date.now() - started) } : {}),
      });
      if (!idle) return null;
      const result = await new Promise<number | unknown[] | typeof BUSY>((resolve, reject) => {
        this.queue.push({ sql, params, mode, resolve, reject });
        if (this.queue.length === 1) setImmediate(() => this.flush());
      });
      if (result !== BUSY) return result;
    }
  }

  private flush(): void {
    const group = this.queue.splice(0, MAX_GROUP);
    if (this.queue.length > 0) setImmediate(() => this.flush());
    const handle = sqliteHandleIfIdle(this.dataSource);
    if (!handle) {
      // A transaction was opened on the shared connection meanwhile: each waits for it, as any write does.
      for (const item of group) item.resolve(BUSY);
      return;
    }
    const execute = (item: QueuedStatement): number | unknown[] => {
      const statement = this.prepare(handle, item.sql);
      return item.mode === 'all' ? statement.all(...item.params) : statement.run(...item.params).changes;
    };
    if (group.length > 1) {
      try {
        const results = handle.transaction(() => group.map(execute))();
        group.forEach((item, i) => item.resolve(results[i]!));
        return;
      } catch {
        // Rolled back as a whole: run each statement on its own below.
      }
    }
    for (const item of group) {
      try {
        item.resolve(execute(item));
      } catch (error) {
        item.reject(error);
      }
    }
  }

  /** better-sqlite3 compiles a statement on every `prepare`: the library's statements are reused. */
  private prepare(handle: SqliteHandle, sql: string): SqliteStatement {
    let cache = this.statements.get(handle);
    if (!cache) {
      cache = new Map();
      this.statements.set(handle, cache);
    }
    let statement = cache.get(sql);
    if (statement) {
      // Most recently used last (a Map keeps insertion order), so the least used goes first.
      cache.delete(sql);
    } else {
      if (cache.size >= MAX_CACHED_STATEMENTS) cache.delete(cache.keys().next().value!);
      statement = handle.prepare(sql);
    }
    cache.set(sql, statement);
    return statement;
  }
}
