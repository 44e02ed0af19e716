import { Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { CashlinkIntentsService } from './cashlink-intents.service';
import type { ResolvedIdempotencyOptions } from './idempotency.options';

/**
 * Resumes due `pending` intents every `recovery.intervalMs` (and purges settled ones past their
 * retention, at most once a minute), from application bootstrap until shutdown. Runs never overlap.
 * Its timer does not keep the process alive on its own.
 */
export class CashlinkIntentRecoveryWorker implements OnApplicationBootstrap, OnApplicationShutdown {
  /** Purging more often than this buys nothing. */
  static readonly PURGE_EVERY_MS = 60_000;

  private readonly logger = new Logger('CashlinkIntents');
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private lastPurgeAt = 0;

  constructor(
    private readonly intents: CashlinkIntentsService,
    private readonly options: ResolvedIdempotencyOptions,
    private readonly now: () => number = Date.now,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.options.enabled || this.options.recovery === false) return;
    this.logger.log(
      `Intent recovery every ${this.options.recovery.intervalMs} ms as ${this.options.instanceId}`,
    );
    // First run right away: intents left by a crashed process are due now.
    this.schedule(0);
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    this.intents.stop();
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  private schedule(delayMs: number): void {
    if (this.stopped || this.options.recovery === false) return;
    this.timer = setTimeout(() => {
      this.running = this.tick().finally(() => {
        this.running = undefined;
        if (this.options.recovery !== false) this.schedule(this.options.recovery.intervalMs);
      });
    }, delayMs);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    try {
      await this.intents.resumeDue();
      if (
        this.options.retentionMs !== false &&
        this.now() - this.lastPurgeAt >= CashlinkIntentRecoveryWorker.PURGE_EVERY_MS
      ) {
        this.lastPurgeAt = this.now();
        await this.intents.purge();
      }
    } catch (error) {
      // A database hiccup must not stop recovery; the next run tries again.
      this.logger.error(
        `Intent recovery run failed: ${(error as Error)?.name ?? 'error'}: ${(error as Error)?.message ?? ''}`,
      );
    }
  }
}
