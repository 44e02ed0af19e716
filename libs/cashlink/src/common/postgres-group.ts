/** Settings of a {@link PostgresGroupWriter}. */
export interface PostgresGroupWriterOptions<T, R> {
  /** Writes several items in one statement (one commit); answers each item's result, in order. */
  writeGroup: (items: T[]) => Promise<R[]>;
  /** Writes one item in its own statement: a group of one, and each item again when its group failed. */
  writeOne: (item: T) => Promise<R>;
  /** Most items in one group. @default 256 */
  maxGroup?: number;
  /** Groups written at once (each holds one pooled connection). @default 4 */
  maxInFlight?: number;
}

interface Queued<T, R> {
  item: T;
  resolve: (result: R) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit on Postgres for writes issued outside the app's transactions: the items submitted
 * while a group is being written (or in the same event-loop turn) are written together by
 * `writeGroup`, in one statement and one commit, instead of one commit each (on Postgres each commit
 * is a WAL flush: bench/README.md, changes 1 and 19). Each submitter still gets its own result, after
 * the commit. When a group fails as a whole, each of its items is written again on its own, so one
 * bad item fails only itself.
 */
export class PostgresGroupWriter<T, R> {
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
    if (group.length === 1) {
      const [only] = group as [Queued<T, R>];
      await this.options.writeOne(only.item).then(only.resolve, only.reject);
      return;
    }
    let results: R[];
    try {
      results = await this.options.writeGroup(group.map((queued) => queued.item));
    } catch {
      // The group rolled back as a whole: each item on its own.
      for (const queued of group)
        await this.options.writeOne(queued.item).then(queued.resolve, queued.reject);
      return;
    }
    group.forEach((queued, i) => queued.resolve(results[i]!));
  }
}
