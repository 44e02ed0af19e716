import { Worker } from 'node:worker_threads';
import { Logger } from '@nestjs/common';
import type { DataSource } from 'typeorm';

/** The part of a better-sqlite3 `Database` the checkpointer uses on the app's connection. */
export interface SqlitePragmaHandle {
  readonly open: boolean;
  pragma(source: string, options?: { simple?: boolean }): unknown;
}

/** How often the worker checkpoints the log: what SQLite would otherwise do every ~1000 pages. */
export const SQLITE_CHECKPOINT_INTERVAL_MS = 200;

/**
 * Longest hold of the library's commits for the second pass of a checkpoint. Past it the commits go
 * on (that pass may then leave frames behind, and the log is started over at a later checkpoint).
 */
export const SQLITE_CHECKPOINT_MAX_HOLD_MS = 250;

/**
 * The worker: a connection of its own for each checkpoint, opened with the app's SQLite (the same
 * better-sqlite3 file, so the same library in the process and one view of its file locks), closed
 * after it (so that between checkpoints the app is the only connection: it can leave WAL mode).
 * `first`: a passive checkpoint while the app goes on writing (the bulk of the pages); `final`: a
 * second one while the library holds its commits, so that every frame is copied and the next commit
 * starts the log over. Passive checkpoints never wait for nor block the app's readers and writers;
 * under synchronous=NORMAL each syncs the log before and the database file after copying pages, as
 * SQLite's own checkpoints do. Plain JavaScript (not a file of the package): it runs the same from the
 * sources, the build and a test runner.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.module);
let db = null;
const code = (error) => String((error && error.code) || 'error');
const close = () => { if (db) { const open = db; db = null; open.close(); } };
parentPort.on('message', (message) => {
  try {
    if (message === 'stop') {
      close();
      parentPort.close();
      return;
    }
    if (message === 'first') {
      close();
      db = new Database(workerData.file, { fileMustExist: true });
      db.pragma('synchronous = NORMAL');
    }
    const row = db.prepare('PRAGMA wal_checkpoint(PASSIVE)').get();
    if (message === 'final') close();
    parentPort.postMessage({ pass: message, busy: row.busy, log: row.log, checkpointed: row.checkpointed });
  } catch (error) {
    try { close(); } catch {}
    parentPort.postMessage({ failed: code(error) });
  }
});
`;

/** What the worker answers. */
type WorkerMessage =
  { pass: 'first' | 'final'; busy: number; log: number; checkpointed: number } | { failed: string };

/** Settings of {@link SqliteCheckpointer.start}. */
export interface SqliteCheckpointerOptions {
  /** @default SQLITE_CHECKPOINT_INTERVAL_MS */
  intervalMs?: number;
  /** The better-sqlite3 module file the worker loads (tests). @default the one the DataSource loaded */
  module?: string;
}

/**
 * Checkpoints one SQLite database's write-ahead log on a worker thread instead of inside commits.
 *
 * In WAL mode SQLite checkpoints the log in the commit that takes it past `wal_autocheckpoint` pages
 * (1000 by default): that commit copies the log's pages into the database file and syncs both, and
 * with better-sqlite3 it does so on the event loop, where every request in flight waits for it. On the
 * bench machine that was about a third of a grouped commit's time per row. So for a connection the
 * library writes through (WAL, a file), a worker thread checkpoints every `intervalMs` with a
 * connection of its own, and the app connection's `wal_autocheckpoint` is 0 while it does.
 *
 * A checkpoint has two passes: the first while everything goes on, the second (only the frames
 * written meanwhile) while the library's group commit holds its commits (`holding`: they queue, the
 * event loop goes on). SQLite starts the log over only at a commit that finds every frame copied; a
 * checkpoint that always overlapped commits would let the log grow without end.
 *
 * What reaches the disk, and when, does not change: a write is durable by the log's sync (`WalSync`),
 * never by a checkpoint. An app that set `wal_autocheckpoint = 0` itself checkpoints on its own: no
 * worker. When the worker cannot run, a checkpoint fails, or the app leaves WAL mode, the app's level is
 * set back (SQLite checkpoints in commits again) and, for a failure, a warning says why, once. When the
 * app's connection is closed the worker stops within `intervalMs`. The worker and its timer never keep
 * the process alive.
 */
export class SqliteCheckpointer {
  private readonly logger = new Logger('Cashlink');
  private worker: Worker | null;
  private readonly timer: NodeJS.Timeout;
  /** The app's `wal_autocheckpoint`, to set back; null while it is not set to 0 by us. */
  private appLevel: number | null = null;
  /** The pass the worker is running, if any. */
  private cycle: 'first' | 'final' | null = null;
  /** True while the library's commits are held for the second pass. */
  private held = false;
  private holdTimer: NodeJS.Timeout | null = null;
  private released: Array<() => void> = [];
  private stopped = false;
  /** Checkpoints completed (both passes), and how many of them copied every frame (tests). */
  checkpoints = 0;
  completeCheckpoints = 0;

  private constructor(
    private readonly handle: SqlitePragmaHandle,
    file: string,
    module: string,
    private readonly level: number,
    intervalMs: number,
  ) {
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { file, module } });
    this.worker.unref();
    this.worker.on('message', (message: WorkerMessage) => this.onMessage(message));
    this.worker.on('error', (error) => this.fail((error as { code?: unknown }).code));
    this.worker.on('exit', () => this.fail('exit'));
    this.timer = setInterval(() => this.tick(), intervalMs);
    this.timer.unref();
  }

  /**
   * Starts the checkpointer of `dataSource`'s connection `handle` to the database `file` (WAL mode),
   * or answers null: when the app checkpoints on its own (`wal_autocheckpoint` 0), or when the worker
   * could not be sure to load the very SQLite the app uses (a `driver`, `nativeBinding` or `key` of its
   * own, or a better-sqlite3 not loaded through `require`): two copies of SQLite in one process do not
   * see each other's locks, which can corrupt a database.
   */
  static start(
    dataSource: DataSource,
    handle: SqlitePragmaHandle,
    file: string,
    options: SqliteCheckpointerOptions = {},
  ): SqliteCheckpointer | null {
    const module = options.module ?? loadedSqliteModule(dataSource);
    if (!module) return null;
    try {
      const level = Number(handle.pragma('wal_autocheckpoint', { simple: true }));
      if (!(level > 0)) return null;
      return new SqliteCheckpointer(
        handle,
        file,
        module,
        level,
        options.intervalMs ?? SQLITE_CHECKPOINT_INTERVAL_MS,
      );
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

  /** True while the library's commits wait for the second pass of a checkpoint. */
  get holding(): boolean {
    return this.held;
  }

  /** Runs `fn` once the library's commits are no longer held (at once when they are not). */
  afterHold(fn: () => void): void {
    if (this.holding) this.released.push(fn);
    else fn();
  }

  /** Stops the worker; sets the app's level back when its connection is still open. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.timer);
    this.release();
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
    if (this.cycle || !this.worker) return;
    try {
      // The app may have left WAL mode: nothing to checkpoint, and SQLite's own setting applies again.
      const mode = String(this.handle.pragma('journal_mode', { simple: true })).toLowerCase();
      if (mode !== 'wal') {
        this.stop();
        return;
      }
      if (this.appLevel === null) {
        this.handle.pragma('wal_autocheckpoint = 0');
        this.appLevel = this.level;
      }
    } catch {
      // The connection is busy (an iterator of the app is open): try again at the next tick.
      return;
    }
    this.cycle = 'first';
    this.worker.postMessage('first');
  }

  private onMessage(message: WorkerMessage): void {
    if (this.stopped) return;
    if ('failed' in message) {
      this.fail(message.failed);
      return;
    }
    if (message.pass === 'first') {
      // Hold the library's commits for the frames written meanwhile: then every frame is copied.
      this.cycle = 'final';
      this.held = true;
      this.holdTimer = setTimeout(() => this.release(), SQLITE_CHECKPOINT_MAX_HOLD_MS);
      this.holdTimer.unref();
      this.worker?.postMessage('final');
      return;
    }
    this.checkpoints++;
    if (message.busy === 0 && message.checkpointed === message.log) this.completeCheckpoints++;
    this.cycle = null;
    this.release();
  }

  private release(): void {
    if (this.holdTimer) clearTimeout(this.holdTimer);
    this.holdTimer = null;
    this.held = false;
    const waiting = this.released;
    this.released = [];
    for (const fn of waiting) fn();
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
    try {
      if (this.handle.open) this.handle.pragma(`wal_autocheckpoint = ${level}`);
    } catch {
      // The connection is busy right now (an iterator of the app is open): it keeps 0 until it is
      // closed, and the log is checkpointed when the last connection closes.
    }
  }
}

/**
 * The file of the better-sqlite3 module `dataSource` opened its connections with, when the worker can
 * load exactly that: TypeORM's default module (no `driver`, `nativeBinding` or `key` option), found
 * in `require`'s cache. Otherwise null.
 */
function loadedSqliteModule(dataSource: DataSource): string | null {
  const options = dataSource.options as { driver?: unknown; nativeBinding?: unknown; key?: unknown };
  if (options.driver || options.nativeBinding || options.key) return null;
  const loaded = (dataSource.driver as unknown as { sqlite?: unknown }).sqlite;
  if (typeof loaded !== 'function') return null;
  for (const [file, entry] of Object.entries(require.cache)) {
    if (entry?.exports === loaded) return file;
  }
  return null;
}

function codeOf(code: unknown): string {
  return typeof code === 'string' && /^[A-Z0-9_]{1,40}$/.test(code) ? code : 'error';
}
