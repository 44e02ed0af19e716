import { open } from 'node:fs/promises';

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
  /** WAL with synchronous=NORMAL: commits are not synced; the library syncs the log (`walPath`) itself. */
  | { kind: 'wal-sync'; walPath: string }
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
 * guarantee synchronous=FULL gives by syncing inside the commit, without blocking the event loop.
 */
export function sqliteDurability(
  query: (sql: string) => Array<Record<string, unknown>>,
  file: string,
): SqliteDurability {
  if (file === '') return { kind: 'none', reason: 'no-file' };
  const synchronous = Number(query('PRAGMA synchronous')[0]?.synchronous);
  if (synchronous === 0) return { kind: 'none', reason: 'synchronous-off' };
  const journalMode = String(query('PRAGMA journal_mode')[0]?.journal_mode).toLowerCase();
  // A rollback journal syncs the database file in every commit unless synchronous is OFF.
  if (journalMode === 'wal' && synchronous === 1) return { kind: 'wal-sync', walPath: `${file}-wal` };
  return { kind: 'commit' };
}

/**
 * Syncs one write-ahead log after commits, coalesced: `afterCommit()` resolves once an `fdatasync`
 * that started after the call has completed (so it covers the caller's commit). While one sync runs,
 * the commits made meanwhile share the next one: at most one sync runs and one waits, however many
 * commits there are.
 */
export class WalSync {
  private running = false;
  private waiting: Array<{ resolve: () => void; reject: (error: unknown) => void }> = [];

  constructor(
    readonly walPath: string,
    private readonly syncFile: FileSync = fdatasyncFile,
  ) {}

  afterCommit(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      if (!this.running) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.running = true;
    while (this.waiting.length > 0) {
      const batch = this.waiting;
      this.waiting = [];
      try {
        await this.syncFile(this.walPath);
        for (const waiter of batch) waiter.resolve();
      } catch (error) {
        for (const waiter of batch) waiter.reject(error);
      }
    }
    this.running = false;
  }
}
