import {
  Inject,
  Injectable,
  Logger,
  Optional,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { backoffDelayMs } from '../common/backoff';
import { createInstanceId } from '../common/instance-id';
import { CashlinkConfigError } from '../errors/cashlink.error';
import { LeasedBatch } from '../persistence/leased-queue';
import { RoundLoop } from '../persistence/round-loop';
import { CASHLINK_EVENTS } from '../events/cashlink-events.constants';
import { InvestmentStatusChangedEvent } from '../events/investment-status-changed.event';
import { countInbox, traceWebhookDispatch } from '../telemetry/cashlink-telemetry';
import { WebhookDeadEvent } from '../events/webhook-dead.event';
import { CASHLINK_WEBHOOKS_INVESTMENT_FETCHER, CASHLINK_WEBHOOKS_OPTIONS } from './webhooks.constants';
import type { WebhookInboxEntity } from './webhook-inbox.entity';
import { WebhookInboxStore } from './webhook-inbox.store';
import type { ResolvedWebhooksOptions } from './webhooks.options';
import { changedAtToIso } from './webhook-status-change';

/** How often the dispatch loop purges processed rows past `webhooks.retentionMs`. */
const PURGE_INTERVAL_MS = 3_600_000;

/**
 * When webhooks keep arriving while a round runs, the next round starts this much later rather than at
 * once (`RoundLoopOptions.busyDelayMs`): each round costs a claim (three round trips on Postgres) and a
 * processed mark, paid per batch. Under load that delay turned rounds of a handful of rows into fuller
 * batches; a webhook that arrives when the dispatcher is idle is still dispatched at once.
 */
const BUSY_ROUND_DELAY_MS = 10;

/** Fetches the current investment for `InvestmentStatusChangedEvent.investment`. */
export type WebhookInvestmentFetcher = (investmentId: string) => Promise<unknown>;

/**
 * Dispatches stored changes to the app's listeners, after the commit and outside the request:
 * claims due rows with a lease, emits the events with `emitAsync` (awaiting every listener), and
 * settles each row: processed, retried with backoff, or dead after `dispatch.maxAttempts`.
 *
 * Runs a loop every `dispatch.intervalMs` from application bootstrap to shutdown, and is woken
 * right after a webhook is stored. Rows left pending by a process that died (before dispatching, or
 * while holding a lease) are picked up by the next round of any instance once due.
 */
@Injectable()
export class WebhookDispatcher implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('CashlinkWebhooks');
  /** Lease owner name: unique per process, readable in the table (fits `lease_owner varchar(64)`). */
  readonly owner = createInstanceId(64);
  private readonly loop: RoundLoop;
  /** When the loop purges next (the first round after start-up purges). */
  private nextPurgeAt = 0;

  constructor(
    private readonly store: WebhookInboxStore,
    // Optional so that an app without webhooks needs no EventEmitterModule; checked at bootstrap.
    @Optional() @Inject(EventEmitter2) private readonly events: EventEmitter2 | null,
    @Inject(CASHLINK_WEBHOOKS_OPTIONS) private readonly options: ResolvedWebhooksOptions,
    @Optional()
    @Inject(CASHLINK_WEBHOOKS_INVESTMENT_FETCHER)
    private readonly fetchInvestment: WebhookInvestmentFetcher | null = null,
  ) {
    this.loop = new RoundLoop({
      intervalMs: options.dispatch.intervalMs,
      busyDelayMs: BUSY_ROUND_DELAY_MS,
      round: () => this.runRound(),
      onRoundFailed: (error) =>
        // A database outage must not stop the loop: log, and try again at the next interval.
        this.logger.error(
          `Webhook dispatch round failed (${errorName(error)}); retrying in ${options.dispatch.intervalMs} ms`,
        ),
    });
  }

  onApplicationBootstrap(): void {
    if (!this.options.enabled) return;
    if (!this.events) {
      throw new CashlinkConfigError([
        'webhooks are enabled but no EventEmitter2 is available: add EventEmitterModule.forRoot() (from @nestjs/event-emitter) to your app imports.',
      ]);
    }
    if (!this.options.dispatch.enabled) return;
    this.loop.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.loop.stop();
  }

  /** Asks for a round as soon as possible (called right after a webhook is stored). */
  kick(): void {
    this.loop.kick();
  }

  /**
   * Dispatches every row due now, batch after batch, and resolves with how many rows were
   * dispatched (processed, retried or dead). Waits for a round already in progress first.
   */
  async dispatchDue(): Promise<number> {
    return this.loop.runNow();
  }

  private async runRound(): Promise<number> {
    let total = 0;
    const { batchSize, leaseMs } = this.options.dispatch;
    await this.purgeIfDue();
    for (;;) {
      if (this.loop.stopping) break;
      const claimedAt = Date.now();
      const rows = await this.store.claimDue(this.owner, batchSize, leaseMs, claimedAt);
      if (rows.length === 0) break;
      // Rows whose listeners succeeded are marked processed together, in one statement (one
      // commit per batch instead of one per row: on SQLite each commit is a disk flush that blocks
      // the event loop). A crash before that mark re-dispatches them: delivery is at least once.
      const processed: string[] = [];
      // The claim computed each row's watermark (stale, previous status) from every change stored
      // by then. A heartbeat renews the leases of the rows still in hand (those not yet dispatched
      // and those waiting for their processed mark) in one statement every third of a lease, never
      // once per row, and computes the watermarks again; a slow listener keeps its batch leased.
      // A row is dispatched only while its lease is live and was not lost to another instance.
      const marks = new Map(rows.map((r) => [r.id, { stale: r.stale, previousStatus: r.previousStatus }]));
      const batch = new LeasedBatch(
        rows.map((r) => r.id),
        claimedAt,
        {
          leaseMs,
          renew: async (ids, now) => {
            const held = await this.store.renewLeases(ids, this.owner, leaseMs, now);
            for (const [id, mark] of held) marks.set(id, mark);
            return held.keys();
          },
          stopping: () => this.loop.isStopped,
          onRenewalFailed: (error) =>
            // The database is unreachable: the leases run on as last written; marks are retried meanwhile.
            this.logger.warn(`Webhook lease renewal failed (${errorName(error)})`),
        },
      );
      try {
        for (const row of rows) {
          const mark = batch.holds(row.id) ? marks.get(row.id) : undefined;
          const done = await traceWebhookDispatch(row, () => this.dispatchRow(row, mark));
          // Retried or dead: the row's lease was dropped with its mark.
          if (done) processed.push(row.id);
          else batch.release(row.id);
        }
      } finally {
        try {
          // Also when the batch stopped on a database error: the rows whose listeners ran are marked,
          // or they would run again after their lease.
          await this.markProcessed(processed, batch);
        } finally {
          await batch.close();
        }
      }
      total += rows.length;
      if (rows.length < batchSize) break;
    }
    return total;
  }

  /**
   * Deletes `processed` rows older than `webhooks.retentionMs` (see `WebhookInboxStore.purgeProcessed`
   * for what is kept); resolves with how many. Nothing when retention is `false`.
   */
  async purge(now = Date.now()): Promise<number> {
    const { retentionMs } = this.options;
    if (retentionMs === false) return 0;
    return this.store.purgeProcessed(now - retentionMs);
  }

  private async purgeIfDue(): Promise<void> {
    if (this.options.retentionMs === false || Date.now() < this.nextPurgeAt) return;
    this.nextPurgeAt = Date.now() + PURGE_INTERVAL_MS;
    try {
      const purged = await this.purge();
      if (purged > 0) this.logger.log(`Purged ${purged} processed webhook(s) past webhooks.retentionMs`);
    } catch (error) {
      // Purging is housekeeping: a failure must not stop dispatch (tried again at the next interval).
      this.logger.warn(`Webhook purge failed (${errorName(error)})`);
    }
  }

  /**
   * Marks rows whose listeners succeeded. A mark that cannot be written (the database unreachable) is
   * not given up for a repeat: it is tried again while this instance may still hold the leases, and for
   * one more lease (`LeasedBatch.untilWritten`), and only then left to the leases' expiry.
   */
  private async markProcessed(ids: string[], batch: LeasedBatch<string>): Promise<void> {
    if (ids.length === 0) return;
    const marked = await batch.untilWritten(ids[0]!, () => this.store.markProcessedMany(ids, this.owner));
    if (marked < ids.length) {
      this.logger.warn(
        `${ids.length - marked} webhook(s): lease lost before they were marked processed (another instance claimed them while the database could not renew their lease)`,
      );
    }
  }

  /**
   * Runs the listeners of one claimed row; true when they all succeeded (the row is then to be
   * marked processed). `watermark`: the row's stale flag and previous status, computed when its
   * lease was last renewed; absent when the lease was lost (it could not be renewed in time, and
   * another instance may have claimed the row): the row is then left alone.
   */
  private async dispatchRow(
    row: WebhookInboxEntity,
    watermark: { stale: boolean; previousStatus: string | null } | undefined,
  ): Promise<boolean> {
    const { maxAttempts } = this.options.dispatch;
    if (!watermark) {
      this.logger.warn(
        `Webhook ${row.id}: lease lost before its dispatch began (it could not be renewed in time); left to the next claim`,
      );
      return false;
    }
    if (row.attempts > maxAttempts) {
      // Leases expired repeatedly (processes died mid-dispatch): stop here rather than loop forever.
      await this.kill(row, row.lastError ?? 'lease expired during every attempt');
      return false;
    }
    try {
      const investment =
        this.options.fetchInvestment && this.fetchInvestment
          ? await this.fetchInvestment(row.investmentId!)
          : undefined;
      const event = new InvestmentStatusChangedEvent(
        row.id,
        row.investmentId!,
        row.status!,
        watermark.previousStatus,
        changedAtToIso(row.changedAt!),
        watermark.stale,
        row.attempts,
        investment,
      );
      // Both events are emitted on every attempt, so every listener runs even when another one fails.
      const results = await Promise.allSettled([
        this.emitter.emitAsync(CASHLINK_EVENTS.investmentStatusChanged, event),
        this.emitter.emitAsync(
          `${CASHLINK_EVENTS.investmentStatusPrefix}${row.status!.toLowerCase()}`,
          event,
        ),
      ]);
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
      return true;
    } catch (error) {
      const description = describeError(error);
      if (row.attempts >= maxAttempts) {
        await this.kill(row, description);
        return false;
      }
      const delay = this.backoff(row.attempts);
      await this.store.markRetry(row.id, this.owner, Date.now() + delay, description);
      // Only the error's class name is logged: listener messages may carry personal data.
      this.logger.warn(
        `Webhook ${row.id}: dispatch attempt ${row.attempts}/${maxAttempts} failed (${errorName(error)}); retrying in ${delay} ms`,
      );
      return false;
    }
  }

  private get emitter(): EventEmitter2 {
    if (!this.events)
      throw new CashlinkConfigError(['webhooks need EventEmitterModule.forRoot() in the app imports.']);
    return this.events;
  }

  private async kill(row: WebhookInboxEntity, lastError: string): Promise<void> {
    countInbox('dead');
    if (!(await this.store.markDead(row.id, this.owner, lastError))) return;
    this.logger.error(
      `Webhook ${row.id} is dead after ${row.attempts} attempts; fix the listener, then call CashlinkWebhooksService.redispatch('${row.id}')`,
    );
    try {
      await this.emitter.emitAsync(
        CASHLINK_EVENTS.webhookDead,
        new WebhookDeadEvent(row.id, row.investmentId ?? '', row.status ?? '', row.attempts, lastError),
      );
    } catch (error) {
      this.logger.warn(`A listener of ${CASHLINK_EVENTS.webhookDead} failed (${errorName(error)})`);
    }
  }

  /** Delay before the attempt after `attempts` failed ones: initial × multiplier^(attempts−1), capped. */
  backoff(attempts: number): number {
    return backoffDelayMs(attempts - 1, { ...this.options.dispatch.backoff, jitter: 'none' });
  }
}

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : typeof error;
}

function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
