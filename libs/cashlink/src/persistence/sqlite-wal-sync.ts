import { closeSync, fdatasync, fstatSync, openSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { Logger } from '@nestjs/common';

/** Flushes one file's data to stable storage (`fdatasync`). Replaceable in tests. */
export type FileSync = (path: string) => Promise<void>;

/**
 * `fdatasync` of the file at `path`, on libuv's thread pool: the event loop goes on meanwhile. Opened
 * anew each time (`r+`: never created or truncated; writable, as Windows needs for a flush), so it
 * always reaches the file that is there now; the system flushes a file's data whichever descriptor
 * wrote it. Nothing is written through it.
 */
export const fdatasyncFile: FileSync = async (path) => {
  const file = await open(path, 'r+');
  try {
    await file.datasync();
  } finally {
    await file.close();
  }
};

/** How the commits of one SQLite connection reach the disk. */
export type SqliteDurability =
  /** SQLite syncs in each commit (synchronous FULL or EXTRA, or a rollback journal). */
  | { kind: 'commit' }
  /**
   * WAL: the library's commits are not synced by SQLite; the library syncs the log (`walPath`) itself,
   * off the event loop, before it resolves a durable write. With synchronous=NORMAL (`restore` null)
   * that is how the connection runs anyway; with FULL or EXTRA (`restore`: that level) the library runs
   * its own groups under NORMAL and sets the level back after each: the app's own commits keep FULL.
   */
  | { kind: 'wal-sync'; walPath: string; restore: number | null }
  /** Nothing is synced (synchronous=OFF) or there is no file (an in-memory or temporary database). */
  | { kind: 'none'; reason: 'synchronous-off' | 'no-file' };

/** The file of a connection's main database ('' for an in-memory or temporary one). */
export function sqliteMainFile(query: (sql: string) => Array<Record<string, unknown>>): string {
  const main = query('PRAGMA database_list').find((row) => row.name === 'main');
  return typeof main?.file === 'string' ? main.file : '';
}

/**
 * Reads a connection's settings, journal mode and `synchronous`, for its main database's `file`.
 *
 * In WAL mode with synchronous=NORMAL (what better-sqlite3 gives every connection that opens a
 * database already in WAL mode: it is built with SQLITE_DEFAULT_WAL_SYNCHRONOUS=1) a commit only
 * writes the log, and a power loss can take back what was committed; SQLite still syncs the log's
 * header when it reuses the log and the log before each checkpoint, so the database stays consistent.
 * An `fdatasync` of the log after a commit makes everything written to it so far durable: the same
 * guarantee synchronous=FULL gives by syncing inside the commit, without blocking the event loop. So in
 * WAL mode the library does that whatever the level (NORMAL, FULL or EXTRA): under FULL, better-sqlite3
 * would run the flush inside the commit, on the event loop, and every request in flight would wait for
 * it; and a write whose loss only repeats work (a settlement) need not be flushed at all.
 */
export function sqliteDurability(
  query: (sql: string) => Array<Record<string, unknown>>,
  file: string,
): SqliteDurability {
  if (file === '') return { kind: 'none', reason: 'no-file' };
  const synchronous = Number(query('PRAGMA synchronous')[0]?.synchronous);
  if (synchronous === 0) return { kind: 'none', reason: 'synchronous-off' };
  const journalMode = String(query('PRAGMA journal_mode')[0]?.journal_mode).toLowerCase();
  // A rollback journal syncs the database file in every commit unless synchronous is OFF; under NORMAL
  // it could be corrupted by a power loss, so the library never relaxes it.
  if (journalMode !== 'wal') return { kind: 'commit' };
  return { kind: 'wal-sync', walPath: `${file}-wal`, restore: synchronous === 1 ? null : synchronous };
}

/**
 * The log as the default sync uses it: opened once for a run of syncs (closed when the run ends), and
 * checked against the path before every sync (a `stat` on the loop, about a µs), so that a log replaced
 * meanwhile (the app switched the journal mode away and back) is opened anew. The `fdatasync` itself runs
 * on the thread pool. Against opening, syncing and closing at every sync (`fdatasyncFile`, three
 * thread-pool round trips) a probe of 30,000 grouped inserts took 29-32 instead of 39-46 µs per row.
 */
class OpenLog {
  private file: { fd: number; ino: number } | null = null;

  constructor(private readonly path: string) {}

  /** Opens the log if needed (throws when it is not there: not a failed sync). */
  open(): number {
    const { ino } = statSync(this.path);
    if (this.file?.ino !== ino) {
      this.close();
      const fd = openSync(this.path, 'r+');
      try {
        this.file = { fd, ino: fstatSync(fd).ino };
      } catch (error) {
        closeSync(fd);
        throw error;
      }
    }
    return this.file.fd;
  }

  sync(fd: number): Promise<void> {
    return new Promise<void>((resolve, reject) =>
      fdatasync(fd, (error) => (error ? reject(error) : resolve())),
    );
  }

  close(): void {
    if (!this.file) return;
    const { fd } = this.file;
    this.file = null;
    closeSync(fd);
  }
}

/**
 * Syncs one write-ahead log after commits, coalesced: `afterCommit()` resolves once an `fdatasync`
 * that started after the call has completed (so it covers the caller's commit). While one sync runs,
 * the commits made meanwhile share the next one: at most one sync runs and one waits, however many
 * commits there are. `syncFile` replaces the default (`OpenLog`) in tests.
 *
 * A failed sync is final: Linux may drop the pages it could not write and report the error only once,
 * so a later sync that "succeeds" proves nothing about them (and SQLite's recovery stops at the first
 * bad frame, losing every later commit too). From then on every `afterCommit()` rejects with the first
 * error, and an error is logged once: the library's durable writes on this connection fail (webhooks are
 * answered 503, intents are not sent) until the app restarts (or reconnects its DataSource), as
 * PostgreSQL stops after a failed fsync. Only a failed `fdatasync` is final; a log that cannot be opened
 * fails its batch only.
 */
export class WalSync {
  private readonly logger = new Logger('Cashlink');
  private running = false;
  private failure: { error: unknown } | null = null;

  /** The first failed sync's error, once one failed (final: see the class comment). */
  get failed(): { error: unknown } | null {
    return this.failure;
  }
  private waiting: Array<{ resolve: () => void; reject: (error: unknown) => void }> = [];

  constructor(
    readonly walPath: string,
    private readonly syncFile?: FileSync,
  ) {}

  afterCommit(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure.error);
    return new Promise<void>((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      if (!this.running) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.running = true;
    const log = this.syncFile ? null : new OpenLog(this.walPath);
    try {
      while (this.waiting.length > 0) {
        const batch = this.waiting;
        this.waiting = [];
        if (this.failure) {
          for (const waiter of batch) waiter.reject(this.failure.error);
          continue;
        }
        let fd: number | undefined;
        try {
          fd = log?.open();
        } catch (error) {
          // The log could not be opened (gone after a checkpoint, too many open files): this batch is
          // not known to be on disk, but nothing was lost to a failed write: not final.
          log?.close();
          for (const waiter of batch) waiter.reject(error);
          continue;
        }
        try {
          await (log ? log.sync(fd!) : this.syncFile!(this.walPath));
          for (const waiter of batch) waiter.resolve();
        } catch (error) {
          this.failure = { error };
          const code = (error as { code?: unknown } | null)?.code;
          this.logger.error(
            `Syncing the SQLite write-ahead log failed (${typeof code === 'string' ? code : 'error'}): the library's writes on this connection fail from now on, as they cannot be known to be on disk. Check the disk, then restart the app.`,
          );
          for (const waiter of batch) waiter.reject(error);
        }
      }
    } finally {
      try {
        log?.close();
      } catch {
        // Closing our own descriptor of the log changes nothing that was synced.
      } finally {
        this.running = false;
      }
    }
  }
}
