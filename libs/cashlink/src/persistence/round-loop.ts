import { AsyncResource } from 'node:async_hooks';

/** Settings of a {@link RoundLoop}. */
export interface RoundLoopOptions {
  /** Pause between rounds when nothing woke the loop, in milliseconds. */
  intervalMs: number;
  /**
   * Pause before the next round when the loop was woken while a round ran. Not zero: each round costs a
   * claim and a mark paid per batch, so a short wait lets the next round find a batch's worth instead of
   * the few rows stored meanwhile; a wake-up while the loop is idle still runs a round at once.
   */
  busyDelayMs: number;
  /** One round: claims and works batches until nothing is due; resolves with how many rows it handled. */
  round: () => Promise<number>;
  /** A round failed (e.g. the database is unreachable): the loop goes on at the next interval. */
  onRoundFailed: (error: unknown) => void;
}

/**
 * The polling loop of a leased queue's worker: one round at a time, every `intervalMs` from `start` to
 * `stop`, and at once when woken (`kick`, after a row is stored). `stop` waits for the round in
 * progress, which ends after its batch (`stopping`), so shutdown leaves no work half-marked.
 *
 * Its rounds run in the async context the loop was created in (at boot), never in the context of
 * whoever woke it: a `kick` comes from inside a request (a stored webhook, a settled intent), whose
 * `AsyncLocalStorage` stores (a request-scoped store, an active trace) must not leak into the rows and
 * handlers of a round that serves everyone.
 */
export class RoundLoop {
  private timer: NodeJS.Timeout | null = null;
  /** The context the loop was created in: every timer of the loop is set from it. */
  private readonly scope = new AsyncResource('CashlinkRoundLoop');
  private current: Promise<number> | null = null;
  private again = false;
  private started = false;
  private stopped = false;

  constructor(private readonly options: RoundLoopOptions) {}

  /** True once `stop` was called (writes still failing are then given up at once). */
  get isStopped(): boolean {
    return this.stopped;
  }

  /** True once a started loop is stopping: a round in progress ends after its batch. */
  get stopping(): boolean {
    return this.started && this.stopped;
  }

  /** Starts the loop with a round at once. */
  start(): void {
    this.started = true;
    this.schedule(0);
  }

  /** Stops the loop and waits for the round in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.current?.catch(() => undefined);
  }

  /** Asks for a round as soon as possible. */
  kick(): void {
    if (!this.started || this.stopped) return;
    if (this.current) {
      this.again = true;
      return;
    }
    this.schedule(0);
  }

  /** Runs a round now, after the one in progress; resolves with how many rows it handled. */
  async runNow(): Promise<number> {
    while (this.current) await this.current.catch(() => undefined);
    return this.run();
  }

  private run(): Promise<number> {
    const round = this.options.round();
    this.current = round;
    return round.finally(() => {
      if (this.current === round) this.current = null;
    });
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = this.scope.runInAsyncScope(() => setTimeout(() => this.due(), delayMs));
    this.timer.unref?.();
  }

  private due(): void {
    this.timer = null;
    if (this.current) {
      // A round run on demand is under way: the loop goes on once it is over.
      this.again = true;
      void this.current.catch(() => undefined).then(() => this.next());
      return;
    }
    void this.run()
      .catch((error: unknown) => this.options.onRoundFailed(error))
      .finally(() => this.next());
  }

  private next(): void {
    const soon = this.again;
    this.again = false;
    const { intervalMs, busyDelayMs } = this.options;
    this.schedule(soon ? Math.min(busyDelayMs, intervalMs) : intervalMs);
  }
}
