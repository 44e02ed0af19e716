/** Pause between tries of a write that failed (database unreachable), growing to the cap. */
const WRITE_RETRY_MS = { first: 50, max: 1000 };

/** Settings of a {@link LeasedBatch}. */
export interface LeasedBatchOptions<Id> {
  /** How long a claim or a renewal holds a lease, in milliseconds. */
  leaseMs: number;
  /**
   * Extends this holder's leases on `ids` to `now + leaseMs`, each only where this holder still has it;
   * answers the ids still held (an id missing from the answer went to another claimer).
   */
  renew: (ids: readonly Id[], now: number) => Promise<Iterable<Id>>;
  /** True once the holder shuts down: a write that fails is then given up at once. */
  stopping: () => boolean;
  /** Told when a renewal failed (the database unreachable): the leases run on as last written. */
  onRenewalFailed?: (error: unknown) => void;
}

/**
 * The leases of one claimed batch of a leased queue while its work is in flight. Claims are short, so
 * that a crashed holder's rows are taken over soon; a heartbeat (every third of the lease) keeps the
 * rows still in hand leased for as long as their work takes, so a slow worker never loses its rows to
 * another claimer. A renewal that does not find a row any more marks it lost: this holder must not
 * start work on it (another claimer may be working on it).
 *
 * A write that settles a row (its mark) is retried while the database is unreachable, as long as this
 * holder may still hold the lease and for one lease more (nobody else can claim the row while the
 * database is unreachable either): the work is not repeated elsewhere for a mark that was only late.
 */
export class LeasedBatch<Id> {
  /** Until when this holder holds each lease, as last written. */
  private readonly until = new Map<Id, number>();
  private readonly lostIds = new Set<Id>();
  private readonly timer: NodeJS.Timeout;
  private renewal: Promise<void> | null = null;

  constructor(
    ids: Iterable<Id>,
    claimedAt: number,
    private readonly options: LeasedBatchOptions<Id>,
  ) {
    for (const id of ids) this.until.set(id, claimedAt + options.leaseMs);
    this.timer = setInterval(() => void this.heartbeat(), LeasedBatch.heartbeatMs(options.leaseMs));
    this.timer.unref?.();
  }

  /** How often the leases are renewed: a third of the lease, so one late beat still keeps them. */
  static heartbeatMs(leaseMs: number): number {
    return Math.max(50, Math.floor(leaseMs / 3));
  }

  /** Whether this holder may still start work on `id` (its lease is live and was not lost). */
  holds(id: Id): boolean {
    return !this.lostIds.has(id) && (this.until.get(id) ?? 0) > Date.now();
  }

  /** Whether a renewal found `id` held by another claimer. */
  lost(id: Id): boolean {
    return this.lostIds.has(id);
  }

  /** Until when the lease on `id` holds, as last written (0: not in hand). */
  heldUntil(id: Id): number {
    return this.until.get(id) ?? 0;
  }

  /** `id` left this holder's hands (settled, lease dropped): the heartbeat no longer renews it. */
  release(id: Id): void {
    this.until.delete(id);
  }

  /** Renews the leases of the rows still in hand now (one renewal at a time). */
  heartbeat(): Promise<void> {
    this.renewal ??= this.renew().finally(() => {
      this.renewal = null;
    });
    return this.renewal;
  }

  private async renew(): Promise<void> {
    const ids = [...this.until.keys()];
    if (ids.length === 0) return;
    const now = Date.now();
    let held: Set<Id>;
    try {
      held = new Set(await this.options.renew(ids, now));
    } catch (error) {
      this.options.onRenewalFailed?.(error);
      return;
    }
    for (const id of ids) {
      if (!this.until.has(id)) continue; // released meanwhile
      if (held.has(id)) this.until.set(id, now + this.options.leaseMs);
      else {
        this.until.delete(id);
        this.lostIds.add(id);
      }
    }
  }

  /**
   * Runs `write` (a mark of `id`, or of several rows whose leases `id`'s stands for) until it is
   * written: while it fails, it is tried again, pausing longer each time, as long as this holder may
   * still hold the lease on `id` and for one lease more. Gives up (throws the last error) after that,
   * when the lease was lost, or at shutdown.
   */
  async untilWritten<T>(id: Id, write: () => Promise<T>): Promise<T> {
    let pause = WRITE_RETRY_MS.first;
    for (;;) {
      try {
        return await write();
      } catch (error) {
        if (
          this.options.stopping() ||
          this.lostIds.has(id) ||
          Date.now() > this.heldUntil(id) + this.options.leaseMs
        ) {
          throw error;
        }
        await new Promise((resolve) => setTimeout(resolve, pause));
        pause = Math.min(WRITE_RETRY_MS.max, pause * 2);
      }
    }
  }

  /** Stops the heartbeat (the batch is settled); waits for a renewal under way. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.renewal;
  }
}
