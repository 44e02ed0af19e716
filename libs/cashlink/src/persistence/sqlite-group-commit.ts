import { Logger } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { CashlinkError } from '../errors/cashlink.error';
import {
  idleSqliteConnection,
  type IdleSqliteWaitOptions,
  rawSqliteHandle,
  SQLITE_IDLE_WAIT_MS,
  type SqliteHandle,
  sqliteHandleIfIdle,
} from './sqlite-connection';
import { SqliteCheckpointer, type SqlitePragmaHandle } from './sqlite-checkpointer';
import { type FileSync, sqliteDurability, sqliteMainFile, WalSync } from './sqlite-wal-sync';

type SqliteStatement = ReturnType<SqliteHandle['prepare']>;

/** A statement waiting for the next group commit. */
interface QueuedStatement {
  sql: string;
  params: unknown[];
  mode: 'run' | 'all';
  durable: boolean;
  resolve: (result: number | unknown[] | typeof BUSY) => void;
  reject: (error: unknown) => void;
}

/** What one statement of a group did: its result, or the error it failed with (it wrote nothing). */
type Outcome = { ok: true; value: number | unknown[] } | { ok: false; error: unknown };

/** The connection was inside someone's transaction when the group ran: wait for it, then queue again. */
const BUSY = Symbol('sqlite-busy');

/** Prepared statements kept per connection (statements with `IN (?, ?, …)` vary with the list size). */
const MAX_CACHED_STATEMENTS = 256;

/** Most statements in one transaction: a burst is split, so one commit never blocks the loop for long. */
const MAX_GROUP = 256;

const groups = new WeakMap<DataSource, SqliteGroupCommit>();

/** How one group reaches the disk: the log sync it owes (if any), and the level to set back after it. */
interface SyncPlan {
  walSync: WalSync | null;
  restore: number | null;
}
const NO_SYNC: SyncPlan = { walSync: null, restore: null };

/** How a write of the group commit waits for the app's transaction, and whether it waits for the disk. */
export interface SqliteGroupWriteOptions extends IdleSqliteWaitOptions {
  /**
   * Resolve only once the write is on disk (see the class comment), for a write the library answers or
   * sends on (a stored webhook, an intent before its call). False for writes whose loss only repeats
   * work safely (a settlement after the answer: the intent is sent again with its key; a dispatcher's
   * mark: the change is dispatched again, at least once): they resolve at their commit. @default true
   */
  durable?: boolean;
}

/**
 * Group commit for the library's own SQLite writes (intents and webhook inbox alike): the statements
 * issued in one event-loop turn run in one better-sqlite3 transaction after that turn's I/O callbacks
 * (`setImmediate`): one disk flush for the group instead of one each. Each statement stays on its own,
 * conditional and atomic, in the order issued, and each caller gets its own result once the group is
 * durable. If the group fails, each statement runs again alone, so one failing statement fails only
 * its caller.
 *
 * Durable means on disk, not only committed (`sqliteDurability`). In WAL mode the library's groups
 * commit under synchronous=NORMAL (better-sqlite3's setting for every connection that opens a database
 * already in WAL mode; under FULL or EXTRA the group sets NORMAL and then the app's level back), so
 * SQLite does not sync them, and the library syncs the log itself (`WalSync`, on the thread pool: the
 * loop goes on, and the groups committed meanwhile share the next sync) before it resolves a durable
 * write; a group of writes that need not wait for the disk is not synced at all. With a rollback
 * journal SQLite syncs inside the commit (better-sqlite3 runs it on the event loop). With
 * synchronous=OFF nothing is synced; a warning says so once. In WAL mode the log is checkpointed on a
 * worker thread, not inside a commit on the event loop (`SqliteCheckpointer`).
 *
 * Like every store write on SQLite, a statement waits until no transaction is open on TypeORM's one
 * shared connection (see `idleSqliteConnection`): joining the app's transaction would make it vanish
 * with a rollback. One instance per DataSource, shared by every store on it, so the intents of
 * concurrent writes, their settlements, stored webhooks and the dispatcher's marks share flushes.
 */
export class SqliteGroupCommit {
  private readonly logger = new Logger('Cashlink');
  private queue: QueuedStatement[] = [];
  private readonly statements = new WeakMap<SqliteHandle, Map<string, SqliteStatement>>();
  /** Per connection: its log's sync when the library syncs it (WAL). */
  private walSyncs = new WeakMap<SqliteHandle, WalSync>();
  /** Per connection: the file of its main database (fixed while it is open). */
  private readonly mainFiles = new WeakMap<SqliteHandle, string>();
  /** Per connection in WAL mode: its log's checkpointer (null when the app checkpoints on its own). */
  private readonly checkpointers = new WeakMap<SqliteHandle, SqliteCheckpointer | null>();
  /** Tests only: replaces the default sync (`WalSync`'s open log). */
  private fileSync: FileSync | undefined;
  private warnedNotSynced = false;

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

  /** The checkpointer of the DataSource's current connection, if one runs. */
  private checkpointerNow(): SqliteCheckpointer | null {
    const handle = rawSqliteHandle(this.dataSource);
    return handle ? (this.checkpointers.get(handle) ?? null) : null;
  }

  /** The log's checkpointer of the connection `handle` (null if none was started for it). */
  checkpointerOf(handle: SqliteHandle): SqliteCheckpointer | null {
    return this.checkpointers.get(handle) ?? null;
  }

  /** Tests: replaces the `fdatasync` of the write-ahead log (to count or fail syncs). */
  useFileSync(fileSync: FileSync): void {
    this.fileSync = fileSync;
    this.walSyncs = new WeakMap();
  }

  /**
   * Runs a statement (`?` placeholders) in the next group; resolves with its changed-row count after
   * the commit, or null when the DataSource is not better-sqlite3 (use the ordinary query runner then).
   */
  run(sql: string, params: unknown[], wait?: SqliteGroupWriteOptions): Promise<number | null> {
    return this.write(sql, params, 'run', wait) as Promise<number | null>;
  }

  /** Like `run`, for a statement that answers rows (`RETURNING`): resolves with the rows. */
  all(sql: string, params: unknown[], wait?: SqliteGroupWriteOptions): Promise<unknown[] | null> {
    return this.write(sql, params, 'all', wait) as Promise<unknown[] | null>;
  }

  private async write(
    sql: string,
    params: unknown[],
    mode: 'run' | 'all',
    wait: SqliteGroupWriteOptions | undefined,
  ): Promise<number | unknown[] | null> {
    const durable = wait?.durable ?? true;
    // One deadline for the whole write, however often a group finds the connection taken again.
    const started = Date.now();
    const maxWaitMs = wait?.maxWaitMs ?? SQLITE_IDLE_WAIT_MS;
    for (;;) {
      // Idle now (the usual case): no wait to set up.
      const idle =
        sqliteHandleIfIdle(this.dataSource) ??
        (await idleSqliteConnection(this.dataSource, {
          maxWaitMs: Math.max(0, maxWaitMs - (Date.now() - started)),
          ...(wait?.timeoutError ? { timeoutError: () => wait.timeoutError!(Date.now() - started) } : {}),
        }));
      if (!idle) return null;
      const result = await new Promise<number | unknown[] | typeof BUSY>((resolve, reject) => {
        this.queue.push({ sql, params, mode, durable, resolve, reject });
        if (this.queue.length === 1) setImmediate(() => this.flush());
      });
      if (result !== BUSY) return result;
    }
  }

  private flush(): void {
    const checkpointer = this.checkpointerNow();
    if (checkpointer?.holding) {
      // The second pass of a checkpoint copies what was written meanwhile: the group waits for it.
      checkpointer.afterHold(() => this.flush());
      return;
    }
    const group = this.queue.splice(0, MAX_GROUP);
    if (this.queue.length > 0) setImmediate(() => this.flush());
    const handle = sqliteHandleIfIdle(this.dataSource);
    if (!handle) {
      // A transaction was opened on the shared connection meanwhile: each waits for it, as any write does.
      for (const item of group) item.resolve(BUSY);
      return;
    }
    const durable = group.map((item) => item.durable);
    let plan: SyncPlan;
    try {
      plan = this.syncPlan(handle);
    } catch (error) {
      // The settings could not be read (e.g. the connection was closed meanwhile): nothing runs.
      for (const item of group) item.reject(error);
      return;
    }
    // No durable write in the group (settlements, marks): nothing to wait for, no sync of its own.
    const walSync = durable.includes(true) ? plan.walSync : null;
    const failed = walSync?.failed;
    if (failed) {
      // A sync of this log failed before: durable writes are refused unwritten (committed, they could
      // not be vouched for, and a caller retrying with a new key would leave intent after intent).
      const refused = notSynced(failed.error, 'the write was not made');
      group.forEach((item) => item.durable && item.reject(refused));
      const rest = group.filter((item) => !item.durable);
      settle(rest, this.execute(handle, rest, plan.restore));
      return;
    }
    const outcomes = this.execute(handle, group, plan.restore);
    if (!walSync) {
      settle(group, outcomes);
      return;
    }
    // Writes that need not wait for the disk resolve at their commit; the others after the sync.
    settle(group, outcomes, (i) => !durable[i]);
    walSync.afterCommit().then(
      () => settle(group, outcomes, (i) => durable[i]!),
      (error: unknown) => settle(group, withoutSync(outcomes, durable, error), (i) => durable[i]!),
    );
  }

  /**
   * Runs the group under synchronous=NORMAL when `restore` is the connection's own level (FULL or
   * EXTRA in WAL mode: see `sqliteDurability`), and sets that level back after it.
   */
  private execute(handle: SqliteHandle, group: QueuedStatement[], restore: number | null): Outcome[] {
    if (restore === null) return this.executeGroup(handle, group);
    this.prepare(handle, 'PRAGMA synchronous = NORMAL').run();
    try {
      return this.executeGroup(handle, group);
    } finally {
      this.prepare(handle, `PRAGMA synchronous = ${restore}`).run();
    }
  }

  /** Runs the group in one transaction; if it rolls back as a whole, each statement on its own. */
  private executeGroup(handle: SqliteHandle, group: QueuedStatement[]): Outcome[] {
    const run = (item: QueuedStatement): number | unknown[] => {
      const statement = this.prepare(handle, item.sql);
      return item.mode === 'all' ? statement.all(...item.params) : statement.run(...item.params).changes;
    };
    if (group.length > 1) {
      try {
        return handle
          .transaction(() => group.map(run))()
          .map((value) => ({ ok: true, value }));
      } catch {
        // Rolled back as a whole: run each statement on its own below.
      }
    }
    return group.map((item): Outcome => {
      try {
        return { ok: true, value: run(item) };
      } catch (error) {
        return { ok: false, error };
      }
    });
  }

  /**
   * The log sync the library owes this connection's commits (null when SQLite syncs them itself, or
   * nothing can: see `sqliteDurability`), and the level to set back when its groups run under NORMAL.
   * The settings are read at every group (two PRAGMAs): they are the app's, and it may change them.
   */
  private syncPlan(handle: SqliteHandle): SyncPlan {
    const query = (sql: string) => this.prepare(handle, sql).all() as Array<Record<string, unknown>>;
    let file = this.mainFiles.get(handle);
    if (file === undefined) {
      file = sqliteMainFile(query);
      this.mainFiles.set(handle, file);
    }
    const durability = sqliteDurability(query, file);
    if (durability.kind === 'wal-sync') {
      let walSync = this.walSyncs.get(handle);
      if (!walSync || walSync.walPath !== durability.walPath) {
        walSync = new WalSync(durability.walPath, this.fileSync && ((path) => this.fileSync!(path)));
        this.walSyncs.set(handle, walSync);
      }
      if (!this.checkpointers.has(handle)) {
        this.checkpointers.set(
          handle,
          SqliteCheckpointer.start(this.dataSource, handle as unknown as SqlitePragmaHandle, file),
        );
      }
      return { walSync, restore: durability.restore };
    }
    if (durability.kind === 'none' && durability.reason === 'synchronous-off' && !this.warnedNotSynced) {
      this.warnedNotSynced = true;
      this.logger.warn(
        'SQLite runs with synchronous=OFF: a power loss can take back webhooks already answered 2xx and intents already sent. Use synchronous=NORMAL (WAL) or FULL.',
      );
    }
    return NO_SYNC;
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

function settle(
  group: QueuedStatement[],
  outcomes: Outcome[],
  only: (i: number) => boolean = () => true,
): void {
  group.forEach((item, i) => {
    if (!only(i)) return;
    const outcome = outcomes[i]!;
    if (outcome.ok) item.resolve(outcome.value);
    else item.reject(outcome.error);
  });
}

/** The outcomes with every durable write that succeeded turned into "committed, not known to be on disk". */
function withoutSync(outcomes: Outcome[], durable: boolean[], cause: unknown): Outcome[] {
  const error = notSynced(cause, 'the write is committed but might not survive a power loss');
  return outcomes.map((outcome, i) => (outcome.ok && durable[i] ? { ok: false, error } : outcome));
}

function notSynced(cause: unknown, what: string): CashlinkError {
  const code = (cause as { code?: unknown } | null)?.code;
  return new CashlinkError(
    `The SQLite write-ahead log could not be flushed to disk (${typeof code === 'string' ? code : 'error'}): ${what}.`,
    { cause },
  );
}
