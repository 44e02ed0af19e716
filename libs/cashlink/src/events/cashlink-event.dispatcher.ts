import {
  Inject,
  Injectable,
  Logger,
  Optional,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { backoffDelayMs } from '../common/backoff';
import { createInstanceId } from '../common/instance-id';
import { idleSqliteConnection } from '../common/sqlite-connection';
import { IntentSettledEvent } from '../idempotency/intent-settled.event';
import {
  CASHLINK_WEBHOOKS_INVESTMENT_FETCHER,
  CASHLINK_WEBHOOKS_OPTIONS,
} from '../webhooks/webhooks.constants';
import type { WebhookInvestmentFetcher } from '../webhooks/webhook-dispatcher.service';
import { changedAtToIso } from '../webhooks/webhook-status-change';
import type { ResolvedWebhooksOptions } from '../webhooks/webhooks.options';
import { CashlinkEventHandlers, type CashlinkEventHandler } from './cashlink-event-handlers';
import type { CashlinkEventDeliveryEntity, CashlinkEventEntity } from './cashlink-event.entity';
import {
  CashlinkEventLogStore,
  type IntentEventFact,
  type WebhookEventFact,
} from './cashlink-event-log.store';
import { CASHLINK_EVENTS } from './cashlink-events.constants';
import { eventLogTriggersInstalled, installEventLogTriggers } from './event-log.schema';
import type { ResolvedEventsOptions } from './events.options';
import { InvestmentStatusChangedEvent } from './investment-status-changed.event';

export const CASHLINK_EVENTS_OPTIONS = Symbol('CASHLINK_EVENTS_OPTIONS');

/** How often the loop purges done events past `events.retentionMs`. */
const PURGE_INTERVAL_MS = 3_600_000;
/** Pause between tries of a mark that failed (database unreachable), growing to the cap. */
const MARK_RETRY_MS = { first: 50, max: 1000 };

/**
 * Delivers the events of the durable log to the `@OnCashlinkEvent` handlers, each with its own delivery
 * state. Claims due events with a short lease, renewed by a heartbeat while handlers run (a crashed
 * instance's events are taken over within `leaseMs`, a slow handler keeps its lease); a handler that is
 * done for an event is never run for it again; a failing one is retried alone, with backoff, until dead.
 *
 * Transactional handlers run in a transaction that first marks their delivery done (the row lock makes
 * any concurrent or later run find it done and skip) and then calls the handler with its manager: the
 * handler's writes and the mark commit together. A non-transactional handler is marked after it
 * returned; when that mark cannot be written (database down) it is tried again as long as this instance
 * may still hold the lease, rather than leaving the event to run again elsewhere.
 */
@Injectable()
export class CashlinkEventDispatcher implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('CashlinkEvents');
  /** Lease owner name: unique per process, readable in the table. */
  readonly owner = createInstanceId(64);
  private timer: NodeJS.Timeout | null = null;
  private round: Promise<number> | null = null;
  private again = false;
  private started = false;
  private stopped = false;
  private nextPurgeAt = 0;
  /** Events of the batch in hand: until when this instance holds each lease (as last written). */
  private readonly leases = new Map<number, number>();
  /** Events of the batch in hand whose lease went to another instance (a renewal did not find it). */
  private readonly lost = new Set<number>();

  constructor(
    private readonly store: CashlinkEventLogStore,
    private readonly handlers: CashlinkEventHandlers,
    @Inject(CASHLINK_EVENTS_OPTIONS) private readonly options: ResolvedEventsOptions,
    @Optional()
    @Inject(CASHLINK_WEBHOOKS_OPTIONS)
    private readonly webhooks: ResolvedWebhooksOptions | null = null,
    @Optional()
    @Inject(CASHLINK_WEBHOOKS_INVESTMENT_FETCHER)
    private readonly fetchInvestment: WebhookInvestmentFetcher | null = null,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const dataSource = this.store.dataSource;
    if (!(await eventLogTriggersInstalled(dataSource).catch(() => false))) {
      if (dataSource.options.synchronize) {
        await installEventLogTriggers(dataSource);
      } else {
        this.logger.error(
          'The event log is not installed (cashlink_events and its triggers): add CASHLINK_MIGRATIONS to your DataSource migrations and run them; @OnCashlinkEvent handlers receive nothing until then.',
        );
        return;
      }
    }
    if (!this.options.dispatch.enabled) return;
    this.started = true;
    this.schedule(0);
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.round?.catch(() => undefined);
  }

  /** Asks for a round as soon as possible (after a change is stored). */
  kick(): void {
    if (!this.started || this.stopped) return;
    if (this.round) {
      this.again = true;
      return;
    }
    this.schedule(0);
  }

  /** Delivers every due event now; resolves with how many events were handled. */
  async dispatchDue(): Promise<number> {
    while (this.round) await this.round.catch(() => undefined);
    return this.runRound();
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      if (this.round) {
        this.again = true;
        return;
      }
      void this.runRound()
        .catch((error: unknown) => {
          this.logger.error(`Event delivery round failed (${errorName(error)}); retrying`);
        })
        .finally(() => {
          const soon = this.again;
          this.again = false;
          this.schedule(
            soon ? Math.min(10, this.options.dispatch.intervalMs) : this.options.dispatch.intervalMs,
          );
        });
    }, delayMs);
    this.timer.unref?.();
  }

  private runRound(): Promise<number> {
    const round = (async () => {
      let total = 0;
      const { batchSize, leaseMs } = this.options.dispatch;
      await this.purgeIfDue();
      for (;;) {
        if (this.stopped && this.started) break;
        const now = Date.now();
        const events = await this.store.claimDue(this.owner, batchSize, leaseMs, now);
        if (events.length === 0) break;
        this.leases.clear();
        this.lost.clear();
        for (const e of events) this.leases.set(e.id, now + leaseMs);
        const heartbeat = setInterval(() => void this.heartbeat(), Math.max(50, Math.floor(leaseMs / 3)));
        heartbeat.unref?.();
        try {
          await this.deliverBatch(events);
        } finally {
          clearInterval(heartbeat);
          this.leases.clear();
        }
        total += events.length;
        if (events.length < batchSize) break;
      }
      return total;
    })();
    this.round = round;
    return round.finally(() => {
      if (this.round === round) this.round = null;
    });
  }

  /** Renews the leases of the events still in hand; one that is not found any more is lost. */
  private async heartbeat(): Promise<void> {
    const ids = [...this.leases.keys()];
    if (ids.length === 0) return;
    const now = Date.now();
    try {
      const held = await this.store.renew(ids, this.owner, this.options.dispatch.leaseMs, now);
      for (const id of ids) {
        if (!this.leases.has(id)) continue;
        if (held.has(id)) this.leases.set(id, now + this.options.dispatch.leaseMs);
        else {
          this.leases.delete(id);
          this.lost.add(id);
        }
      }
    } catch (error) {
      // The database is unreachable: the leases run on as last written; marks are retried meanwhile.
      this.logger.warn(`Event lease renewal failed (${errorName(error)})`);
    }
  }

  /** Whether this instance may still start work on the event. */
  private holds(id: number): boolean {
    return !this.lost.has(id) && (this.leases.get(id) ?? 0) > Date.now();
  }

  private async deliverBatch(events: CashlinkEventEntity[]): Promise<void> {
    const webhookIds = events.filter((e) => e.source === 'webhook').map((e) => e.sourceId);
    const intentKeys = events.filter((e) => e.source === 'intent').map((e) => e.sourceId);
    const [webhookFacts, intentFacts, deliveries] = await Promise.all([
      this.store.webhookFacts(webhookIds),
      this.store.intentFacts(intentKeys),
      this.handlers.size > 0 ? this.store.deliveries(events.map((e) => e.id)) : new Map(),
    ]);
    for (const event of events) {
      const fact =
        event.source === 'webhook' ? webhookFacts.get(event.sourceId) : intentFacts.get(event.sourceId);
      await this.deliverEvent(event, fact, deliveries.get(event.id) ?? new Map());
      this.leases.delete(event.id);
    }
  }

  private async deliverEvent(
    event: CashlinkEventEntity,
    fact: WebhookEventFact | IntentEventFact | undefined,
    deliveries: Map<string, CashlinkEventDeliveryEntity>,
  ): Promise<void> {
    if (!fact) {
      // Its fact was deleted (the inbox row or the intent purged): there is nothing left to deliver.
      this.logger.warn(`Event ${event.id} (${event.name}): its ${event.source} row is gone; marked dead`);
      await this.finish(event, 'dead', event.nextAttemptAt);
      return;
    }
    const names =
      event.source === 'webhook'
        ? [
            CASHLINK_EVENTS.investmentStatusChanged,
            `${CASHLINK_EVENTS.investmentStatusPrefix}${(fact as WebhookEventFact).status.toLowerCase()}`,
          ]
        : [event.name];
    let nextAt = Number.POSITIVE_INFINITY;
    let dead = false;
    let investment: Promise<unknown> | undefined;
    for (const handler of this.handlers.forEvent(names)) {
      const delivery = deliveries.get(handler.name);
      if (delivery?.state === 'done') continue;
      if (delivery?.state === 'dead') {
        dead = true;
        continue;
      }
      if (delivery && delivery.nextAttemptAt > Date.now()) {
        nextAt = Math.min(nextAt, delivery.nextAttemptAt);
        continue;
      }
      if (!this.holds(event.id)) return; // lease gone: whoever holds it now delivers the rest
      const attempt = (delivery?.attempts ?? 0) + 1;
      if (event.source === 'webhook' && this.webhooks?.fetchInvestment && this.fetchInvestment) {
        investment ??= this.fetchInvestment((fact as WebhookEventFact).investmentId);
      }
      const outcome = await this.deliver(event, handler, fact, attempt, investment);
      if (outcome === 'dead') dead = true;
      else if (typeof outcome === 'number') nextAt = Math.min(nextAt, outcome);
    }
    if (!this.holds(event.id) && this.lost.has(event.id)) return;
    const state = Number.isFinite(nextAt) ? 'pending' : dead ? 'dead' : 'done';
    await this.finish(event, state, Number.isFinite(nextAt) ? nextAt : event.nextAttemptAt);
  }

  /** One attempt of one handler: 'done', 'dead', or when to try again. */
  private async deliver(
    event: CashlinkEventEntity,
    handler: CashlinkEventHandler,
    fact: WebhookEventFact | IntentEventFact,
    attempt: number,
    investment: Promise<unknown> | undefined,
  ): Promise<'done' | 'dead' | number> {
    try {
      const payload = await this.payload(event, fact, attempt, investment);
      if (handler.transactional) {
        await this.inHandlerTransaction(async (manager) => {
          // First the mark: a delivery already done (by another instance, or before a crash) skips the handler.
          if (!(await this.store.markDoneIn(manager, event.id, handler.name, attempt, Date.now()))) return;
          await handler.call(payload, manager);
        });
      } else {
        await handler.call(payload);
        await this.untilWritten(event.id, () =>
          this.store.markDone(event.id, handler.name, attempt, Date.now()),
        );
      }
      return 'done';
    } catch (error) {
      const maxAttempts = handler.maxAttempts ?? this.options.dispatch.maxAttempts;
      const now = Date.now();
      const dead = attempt >= maxAttempts;
      const nextAt = dead ? now : now + this.backoff(attempt);
      // Only the error's class name is logged: handler messages may carry personal data.
      if (dead) {
        this.logger.error(
          `Event ${event.id} (${event.name}): handler ${handler.name} failed ${attempt} time(s) (${errorName(error)}); dead. Fix it, then CashlinkEventsService.redispatch({ handler: '${handler.name}', state: 'dead' })`,
        );
      } else {
        this.logger.warn(
          `Event ${event.id} (${event.name}): handler ${handler.name} attempt ${attempt}/${maxAttempts} failed (${errorName(error)}); retrying in ${nextAt - now} ms`,
        );
      }
      try {
        await this.store.markFailed(
          event.id,
          handler.name,
          dead ? 'dead' : 'retry',
          attempt,
          nextAt,
          describeError(error),
          now,
        );
      } catch (markError) {
        // Not written: the attempt is made again after the lease (a failed attempt repeated is harmless).
        this.logger.warn(
          `Event ${event.id}: the failed attempt could not be recorded (${errorName(markError)})`,
        );
      }
      return dead ? 'dead' : nextAt;
    }
  }

  /**
   * A transaction of the app's DataSource for one transactional handler. SQLite: TypeORM runs every
   * query on one shared connection, so it waits until no other transaction is open on it (joining the
   * app's would tie the handler's commit to the app's).
   */
  private async inHandlerTransaction(work: (manager: EntityManager) => Promise<void>): Promise<void> {
    const dataSource = this.store.dataSource;
    if (dataSource.options.type !== 'postgres') await idleSqliteConnection(dataSource);
    await dataSource.transaction(work);
  }

  private async payload(
    event: CashlinkEventEntity,
    fact: WebhookEventFact | IntentEventFact,
    attempt: number,
    investment: Promise<unknown> | undefined,
  ): Promise<unknown> {
    if (event.source === 'webhook') {
      const f = fact as WebhookEventFact;
      return new InvestmentStatusChangedEvent(
        f.inboxId,
        f.investmentId,
        f.status,
        f.previousStatus,
        changedAtToIso(f.changedAt),
        f.stale,
        attempt,
        (investment ? await investment : undefined) as never,
      );
    }
    const f = fact as IntentEventFact;
    const state = event.name.slice('cashlink.intent.'.length) as 'succeeded' | 'failed' | 'expired';
    let body: unknown;
    try {
      body = f.responseBody === null ? undefined : (JSON.parse(f.responseBody) as unknown);
    } catch {
      body = f.responseBody;
    }
    return new IntentSettledEvent(
      f.key,
      f.operation,
      state,
      f.attempts,
      new Date(f.settledAt ?? event.createdAt),
      state === 'succeeded' && f.responseStatus !== null ? { status: f.responseStatus, body } : undefined,
      state === 'succeeded' ? undefined : f.lastError,
    );
  }

  /**
   * Writes a mark until it is written: a mark that fails (database unreachable) is tried again while
   * this instance may still hold the event's lease, and for one more lease after that (no other instance
   * can take the event while the database is unreachable either). Gives up only then, or at shutdown.
   */
  private async untilWritten(eventId: number, write: () => Promise<unknown>): Promise<void> {
    let pause = MARK_RETRY_MS.first;
    for (;;) {
      try {
        await write();
        return;
      } catch (error) {
        const heldUntil = this.leases.get(eventId) ?? 0;
        if (
          this.stopped ||
          this.lost.has(eventId) ||
          Date.now() > heldUntil + this.options.dispatch.leaseMs
        ) {
          throw error;
        }
        await new Promise((resolve) => setTimeout(resolve, pause));
        pause = Math.min(MARK_RETRY_MS.max, pause * 2);
      }
    }
  }

  private async finish(
    event: CashlinkEventEntity,
    state: 'pending' | 'done' | 'dead',
    nextAt: number,
  ): Promise<void> {
    try {
      await this.untilWritten(event.id, () =>
        this.store.finish(event.id, this.owner, state, nextAt, Date.now()),
      );
    } catch (error) {
      // Left leased: claimed again after the lease; its done deliveries are skipped then.
      this.logger.warn(`Event ${event.id}: could not be settled (${errorName(error)})`);
    }
  }

  /** Deletes done events past `events.retentionMs`; resolves with how many. */
  async purge(now = Date.now()): Promise<number> {
    if (this.options.retentionMs === false) return 0;
    return this.store.purgeDone(now - this.options.retentionMs);
  }

  private async purgeIfDue(): Promise<void> {
    if (this.options.retentionMs === false || Date.now() < this.nextPurgeAt) return;
    this.nextPurgeAt = Date.now() + PURGE_INTERVAL_MS;
    try {
      await this.purge();
    } catch (error) {
      this.logger.warn(`Event purge failed (${errorName(error)})`);
    }
  }

  /** Delay before the attempt after `attempts` failed ones. */
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
