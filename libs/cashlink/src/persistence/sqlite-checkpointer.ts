import { Worker } from 'node:worker_threads';
import { Logger } from '@nestjs/common';

/** The part of a better-sqlite3 `Database` the checkpointer uses on the app's connection. */
export interface SqlitePragmaHandle {
  readonly open: boolean;
  pragma(source: string, options?: { simple?: boolean }): unknown;
}

/** How often the worker checkpoints the log: what SQLite would otherwise do every ~1000 pages. */
export const SQLITE_CHECKPOINT_INTERVAL_MS = 200;

/**
 * The worker: its own connection to the database, a passive checkpoint whenever asked. A passive
 * checkpoint never waits for (nor blocks) the app's readers and writers; under the connection's
 * synchronous=NORMAL it syncs the log before and the database file after it copies pages, as SQLite's
 * own checkpoints do. Plain JavaScript (not a file of the package): it runs the same from the sources,
 * the build and a test runner.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.module);
let db;
try {
  db = new Database(workerData.file, { fileMustExist: true });
  db.pragma('synchronous = NORMAL');
  const checkpoint = db.prepare('PRAGMA wal_checkpoint(PASSIVE)');
  parentPort.on('message', (message) => {
    if (message === 'stop') {
      db.close();
      parentPort.close();
      return;
    }
    try {
      const row = checkpoint.get();
      parentPort.postMessage({ done: { log: row.log, checkpointed: row.checkpointed } });
    } catch (error) {
      parentPort.postMessage({ failed: { code: String(error && error.code || 'error') } });
    }
  });
  parentPort.postMessage({ ready: true });
} catch (error) {
  if (db) db.close();
  parentPort.postMessage({ failed: { code: String(error && error.code || 'error') } });
}
`;

/** What the worker answers. */
type WorkerMessage =
  { ready: true } | { done: { log: number; checkpointed: number } } | { failed: { code: string } };

/** Settings of {@link SqliteCheckpointer.start}. */
export interface SqliteCheckpointerOptions {
  /** @default SQLITE_CHECKPOINT_INTERVAL_MS */
  intervalMs?: number;
  /** The better-sqlite3 module the worker loads (tests). @default the one `require` finds */
  module?: string;
}

/**
 * Checkpoints one SQLite database's write-ahead log on a worker thread instead of inside commits.
 *
 * In WAL mode SQLite checkpoints the log in the commit that takes it past `wal_autocheckpoint` pages
 * (1000 by default): that commit copies the log's pages into the database file and syncs both, and
 * with better-sqlite3 it does so on the event loop, where every request in flight waits for it. On the
 * bench machine that was about half of a grouped commit's time per row. So for a connection the library
 * writes through (WAL, a file), it opens a second connection on a worker thread that checkpoints
 * passively every `intervalMs`, and sets the app's connection's `wal_autocheckpoint` to 0 once that
 * connection is open. What reaches the disk, and when, does not change: a write is durable by the log's
 * sync (`WalSync`), never by a checkpoint.
 *
 * An app that set `wal_autocheckpoint = 0` itself checkpoints on its own: the library leaves it so.
 * When the worker cannot open the database or a checkpoint fails, the app's level is set back (SQLite
 * checkpoints in commits again) and a warning says why, once. When the app's connection is closed,
 * the worker stops within `intervalMs` and closes its own (the last connection to close removes the
 * log, as before). The worker and its timer never keep the process alive.
 */
export class SqliteCheckpointer {
  private readonly logger = new Logger('Cashlink');
  private worker: Worker | null;
  private readonly timer: NodeJS.Timeout;
  /** The app's `wal_autocheckpoint`, to set back; null until the worker is ready (nothing set yet). */
  private appLevel: number | null = null;
  private busy = false;
  private stopped = false;
  /** Checkpoints done (tests). */
  checkpoints = 0;

  private constructor(
    private readonly handle: SqlitePragmaHandle,
    file: string,
    private readonly pending: number,
    options: SqliteCheckpointerOptions,
  ) {
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { file, module: options.module ?? require.resolve('better-sqlite3') },
    });
    this.worker.unref();
    this.worker.on('message', (message: WorkerMessage) => this.onMessage(message));
    this.worker.on('error', (error) => this.fail((error as { code?: unknown }).code));
    this.worker.on('exit', () => {
      if (!this.stopped) this.fail('exit');
    });
    this.timer = setInterval(() => this.tick(), options.intervalMs ?? SQLITE_CHECKPOINT_INTERVAL_MS);
    this.timer.unref();
  }

  /**
   * Starts the checkpointer of the connection `handle` to the database `file` (WAL mode), or answers
   * null when the app checkpoints on its own (`wal_autocheckpoint` 0) or no worker can be started.
   */
  static start(
    handle: SqlitePragmaHandle,
    file: string,
    options: SqliteCheckpointerOptions = {},
  ): SqliteCheckpointer | null {
    const level = Number(handle.pragma('wal_autocheckpoint', { simple: true }));
    if (!(level > 0)) return null;
    try {
      return new SqliteCheckpointer(handle, file, level, options);
    } catch (error) {
      new Logger('Cashlink').warn(
        `SQLite's log is checkpointed in commits: no checkpoint worker could be started (${codeOf((error as { code?: unknown }).code)}).`,
      );
      return null;
    }
  }

  /** True while the worker checkpoints the log (the app's connection does not). */
  get active(): boolean {
    return this.appLevel !== null && !this.stopped;
  }

  /** Stops the worker; sets the app's level back when its connection is still open. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.timer);
    this.restore();
    const worker = this.worker;
    this.worker = null;
    worker?.postMessage('stop');
  }

  private tick(): void {
    if (!this.handle.open) {
      this.stop();
      return;
    }
    if (this.busy || this.appLevel === null || !this.worker) return;
    this.busy = true;
    this.worker.postMessage('checkpoint');
  }

  private onMessage(message: WorkerMessage): void {
    if ('failed' in message) {
      this.fail(message.failed.code);
      return;
    }
    if ('ready' in message) {
      if (this.stopped || !this.handle.open) return;
      this.appLevel = this.pending;
      this.handle.pragma('wal_autocheckpoint = 0');
      return;
    }
    this.busy = false;
    this.checkpoints++;
  }

  private fail(code: unknown): void {
    if (this.stopped) return;
    this.logger.warn(
      `SQLite's log is checkpointed in commits again: the checkpoint worker failed (${codeOf(code)}).`,
    );
    this.stop();
  }

  private restore(): void {
    if (this.appLevel === null) return;
    const level = this.appLevel;
    this.appLevel = null;
    if (this.handle.open) this.handle.pragma(`wal_autocheckpoint = ${level}`);
  }
}

function codeOf(code: unknown): string {
  return typeof code === 'string' && /^[A-Z0-9_]{1,40}$/.test(code) ? code : 'error';
}
