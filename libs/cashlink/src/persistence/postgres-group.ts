import { Logger } from '@nestjs/common';

/** A result of `writeGroup` for an item the group did not write: it is written on its own afterwards. */
export const WRITE_ALONE = Symbol('write-alone');

/** Settings of a {@link PostgresGroupWriter}. */
export interface PostgresGroupWriterOptions<T, R> {
  /**
   * Writes several items in one statement (one commit); answers each item's result, in order, or
   * `WRITE_ALONE` for an item it left out (e.g. a key already in the group), which is then written on
   * its own once the group has committed.
   */
  writeGroup: (items: T[]) => Promise<Array<R | typeof WRITE_ALONE>>;
  /** Writes one item in its own statement: a group of one, an item left out, an item of a rolled-back group. */
  writeOne: (item: T) => Promise<R>;
  /** Most items in one group. @default 256 */
  maxGroup?: number;
  /** Groups written at once (each holds one pooled connection). @default 4 */
  maxInFlight?: number;
  /** Names the writer in the warning logged when a group fails. */
  name: string;
}

interface Queued<T, R> {
  item: T;
  resolve: (result: R) => void;
  reject: (error: unknown) => void;
}

/**
 * True when Postgres refused the statement (an SQLSTATE outside class 08, connection exceptions): it
 * was rolled back and nothing of it was written. A connection error or a lost answer says nothing
 * about whether a commit happened.
 */
export function postgresRolledBack(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && !code.startsWith('08');
}

/**
 * Group commit on Postgres for writes issued outside the app's transactions: the items submitted
 * while a group is being written (or in the same event-loop turn) are written together by
 * `writeGroup`, in one statement and one commit, instead of one commit each (on Postgres each commit
 * is a WAL flush). Each submitter still gets its own result, after
 * the commit. When Postgres refuses a group (it rolled back), each of its items is written again on
 * its own, so one bad item fails only itself; when the outcome is unknown (the connection failed),
 * every item of the group fails with that error, as it would have on its own, and nothing is written
 * twice.
 */
export class PostgresGroupWriter<T, R> {
  private readonly logger = new Logger('Cashlink');
  private queue: Array<Queued<T, R>> = [];
  private scheduled = false;
  private inFlight = 0;
  private readonly maxGroup: number;
  private readonly maxInFlight: number;

  constructor(private readonly options: PostgresGroupWriterOptions<T, R>) {
    this.maxGroup = options.maxGroup ?? 256;
    this.maxInFlight = options.maxInFlight ?? 4;
  }

  /** Writes `item` in the next group; resolves with its result once the group is committed. */
  submit(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.schedule();
    });
  }

  /** Starts the next group after this turn's I/O callbacks, so that concurrent submitters share it. */
  private schedule(): void {
    if (this.scheduled || this.inFlight >= this.maxInFlight || this.queue.length === 0) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      const group = this.queue.splice(0, this.maxGroup);
      if (group.length === 0) return;
      this.inFlight++;
      this.write(group).finally(() => {
        this.inFlight--;
        this.schedule();
      });
      this.schedule();
    });
  }

  private async write(group: Array<Queued<T, R>>): Promise<void> {
    if (group.length === 1) return this.writeAlone(group[0]!);
    let results: Array<R | typeof WRITE_ALONE>;
    try {
      results = await this.options.writeGroup(group.map((queued) => queued.item));
    } catch (error) {
      const name = error instanceof Error ? error.name : typeof error;
      const code = (error as { code?: unknown } | null)?.code;
      if (!postgresRolledBack(error)) {
        // Unknown outcome (the connection failed): each fails as it would have on its own.
        this.logger.warn(
          `${this.options.name}: a group of ${group.length} failed (${name}); each write fails`,
        );
        for (const queued of group) queued.reject(error);
        return;
      }
      // Refused and rolled back as a whole: each item on its own.
      this.logger.warn(
        `${this.options.name}: a group of ${group.length} was refused (${name} ${String(code)}); writing each on its own`,
      );
      // At once, not one after another: one item that waits (a key an open transaction holds) must not
      // hold up the others.
      await Promise.all(group.map((queued) => this.writeAlone(queued)));
      return;
    }
    const alone: Array<Queued<T, R>> = [];
    group.forEach((queued, i) => {
      const result = results[i]!;
      if (result === WRITE_ALONE) alone.push(queued);
      else queued.resolve(result);
    });
    await Promise.all(alone.map((queued) => this.writeAlone(queued)));
  }

  private writeAlone(queued: Queued<T, R>): Promise<void> {
    return this.options.writeOne(queued.item).then(queued.resolve, queued.reject);
  }
}
