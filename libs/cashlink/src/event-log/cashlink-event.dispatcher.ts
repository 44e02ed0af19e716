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
import { LeasedBatch } from '../persistence/leased-queue';
import { RoundLoop } from '../persistence/round-loop';
import { storeDialectOf } from '../persistence/store-dialect';
import type { CashlinkEventLogWake } from '../events/event-log-wake';
import { IntentSettledEvent } from '../idempotency/intent-settled.event';
import {
  CASHLINK_WEBHOOKS_INVESTMENT_FETCHER,
  CASHLINK_WEBHOOKS_OPTIONS,
} from '../webhooks/webhooks.constants';
import type { WebhookInvestmentFetcher } from '../webhooks/webhook-dispatcher.service';
import { changedAtToIso } from '../webhooks/webhook-status-change';
import type { ResolvedWebhooksOptions } from '../webhooks/webhooks.options';
import { CashlinkEventHandlers, type CashlinkEventHandler } from './cashlink-event-handlers';
import type { CashlinkEventDeliveryRow, CashlinkEventRow } from './cashlink-event.entity';
import {
  CashlinkEventLogStore,
  type IntentEventFact,
  type WebhookEventFact,
} from './cashlink-event-log.store';
import { CASHLINK_EVENTS } from '../events/cashlink-events.constants';
import { eventLogTriggersInstalled, installEventLog } from './event-log.schema';
import { CASHLINK_EVENTS_OPTIONS } from './event-log.constants';
import type { ResolvedEventsOptions } from './event-log.options';
import { InvestmentStatusChangedEvent } from '../events/investment-status-changed.event';

/** How often the loop purges done events past `events.retentionMs`. */
const PURGE_INTERVAL_MS = 3_600_000;
/** Longest a transaction of one transactional handler stays open over a batch before it commits. */
const TRANSACTION_GROUP_MS = 200;

/** One claimed event while its batch is delivered. */
interface EventWork {
  event: CashlinkEventRow;
  fact: WebhookEventFact | IntentEventFact | undefined;
  handlers: CashlinkEventHandler[];
  deliveries: Map<string, CashlinkEventDeliveryRow>;
  /** The earliest retry of a failed handler (infinite: none). */
  nextAt: number;
  dead: boolean;
  investment?: Promise<unknown>;
}

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
export class CashlinkEventDispatcher
  implements OnApplicationBootstrap, BeforeApplicationShutdown, CashlinkEventLogWake
{
  private readonly logger = new Logger('CashlinkEvents');
  /** Lease owner name: unique per process, readable in the table. */
  readonly owner = createInstanceId(64);
  private readonly loop: RoundLoop;
  private nextPurgeAt = 0;
  /** The leases of the batch in hand (null between batches). */
  private batch: LeasedBatch<number> | null = null;

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
  ) {
    this.loop = new RoundLoop({
      intervalMs: options.dispatch.intervalMs,
      // Woken while a round runs: the next one a little later, to find a batch's worth.
      busyDelayMs: 10,
      round: () => this.runRound(),
      onRoundFailed: (error) =>
        this.logger.error(`Event delivery round failed (${errorName(error)}); retrying`),
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    const dataSource = this.store.dataSource;
    if (!(await eventLogTriggersInstalled(dataSource).catch(() => false))) {
      if (dataSource.options.synchronize) {
        await installEventLog(dataSource);
      } else {
        this.logger.error(
          'The event log is not installed (cashlink_events and its triggers): add CASHLINK_MIGRATIONS to your DataSource migrations and run them; @OnCashlinkEvent handlers receive nothing until then.',
        );
        return;
      }
    }
    if (!this.options.dispatch.enabled) return;
    this.loop.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.loop.stop();
  }

  /** Asks for a round as soon as possible (after a change is stored). */
  kick(): void {
    this.loop.kick();
  }

  /** Delivers every due event now; resolves with how many events were handled. */
  async dispatchDue(): Promise<number> {
    return this.loop.runNow();
  }

  private async runRound(): Promise<number> {
    let total = 0;
    const { batchSize, leaseMs } = this.options.dispatch;
    await this.purgeIfDue();
    for (;;) {
      if (this.loop.stopping) break;
      const now = Date.now();
      const events = await this.store.claimDue(this.owner, batchSize, leaseMs, now);
      if (events.length === 0) break;
      const batch = new LeasedBatch(
        events.map((e) => e.id),
        now,
        {
          leaseMs,
          renew: (ids, at) => this.store.renew(ids, this.owner, leaseMs, at),
          stopping: () => this.loop.isStopped,
          onRenewalFailed: (error) =>
            // The database is unreachable: the leases run on as last written; marks are retried meanwhile.
            this.logger.warn(`Event lease renewal failed (${errorName(error)})`),
        },
      );
      this.batch = batch;
      try {
        await this.deliverBatch(events);
      } finally {
        this.batch = null;
        await batch.close();
      }
      total += events.length;
      if (events.length < batchSize) break;
    }
    return total;
  }

  /** Whether this instance may still start work on the event (its lease is live and was not lost). */
  private holds(id: number): boolean {
    return this.batch?.holds(id) ?? false;
  }

  private async deliverBatch(claimed: CashlinkEventRow[]): Promise<void> {
    // An event no handler can want is done as it is: its fact (a stored answer to open, maybe
    // decrypt) is not read.
    const events: CashlinkEventRow[] = [];
    const unhandled: CashlinkEventRow[] = [];
    for (const e of claimed) (this.handlers.mayHandle(e.source, e.name) ? events : unhandled).push(e);
    const webhookIds = events.filter((e) => e.source === 'webhook').map((e) => e.sourceId);
    const intentKeys = events.filter((e) => e.source === 'intent').map((e) => e.sourceId);
    const [webhookFacts, intentFacts, deliveries] = await Promise.all([
      this.store.webhookFacts(webhookIds),
      this.store.intentFacts(intentKeys),
      events.length > 0
        ? this.store.deliveries(events.map((e) => e.id))
        : Promise.resolve(new Map<number, Map<string, CashlinkEventDeliveryRow>>()),
    ]);
    const nothingToDo = (event: CashlinkEventRow): EventWork => ({
      event,
      fact: undefined,
      handlers: [],
      deliveries: new Map(),
      nextAt: Number.POSITIVE_INFINITY,
      dead: false,
    });
    const works: EventWork[] = unhandled.map(nothingToDo);
    works.push(
      ...events.map((event): EventWork => {
        const fact =
          event.source === 'webhook' ? webhookFacts.get(event.sourceId) : intentFacts.get(event.sourceId);
        const names =
          event.source === 'webhook' && fact
            ? [
                CASHLINK_EVENTS.investmentStatusChanged,
                `${CASHLINK_EVENTS.investmentStatusPrefix}${(fact as WebhookEventFact).status.toLowerCase()}`,
              ]
            : [event.name];
        return {
          event,
          fact,
          handlers: fact ? this.handlers.forEvent(names) : [],
          deliveries: deliveries.get(event.id) ?? new Map(),
          nextAt: Number.POSITIVE_INFINITY,
          dead: !fact,
        };
      }),
    );
    for (const w of works) {
      if (w.dead && !w.fact) {
        // Its fact was deleted (the inbox row or the intent purged): there is nothing left to deliver.
        this.logger.warn(
          `Event ${w.event.id} (${w.event.name}): its ${w.event.source} row is gone; marked dead`,
        );
      }
    }
    // Transactional handlers: one handler over the whole batch in few transactions (each event in its
    // own savepoint): one commit for many events, which is what a commit per event would cost the disk.
    const transactional = new Map<CashlinkEventHandler, Array<{ work: EventWork; attempt: number }>>();
    for (const w of works) {
      for (const handler of w.handlers.filter((h) => h.transactional)) {
        const attempt = this.dueAttempt(w, handler);
        if (attempt === null) continue;
        let list = transactional.get(handler);
        if (!list) transactional.set(handler, (list = []));
        list.push({ work: w, attempt });
      }
    }
    for (const [handler, items] of transactional) await this.deliverTransactional(handler, items);
    // The others event by event, in order.
    for (const w of works) {
      for (const handler of w.handlers.filter((h) => !h.transactional)) {
        const attempt = this.dueAttempt(w, handler);
        if (attempt !== null) await this.deliverPlain(w, handler, attempt);
      }
    }
    await this.finishAll(works);
  }

  /**
   * The attempt number when `handler` is due for this event now (null when it is done, dead, waiting
   * for its backoff, or when the event's lease is gone), noting dead and waiting deliveries.
   */
  private dueAttempt(w: EventWork, handler: CashlinkEventHandler): number | null {
    const delivery = w.deliveries.get(handler.name);
    if (delivery?.state === 'done') return null;
    if (delivery?.state === 'dead') {
      w.dead = true;
      return null;
    }
    if (delivery && delivery.nextAttemptAt > Date.now()) {
      w.nextAt = Math.min(w.nextAt, delivery.nextAttemptAt);
      return null;
    }
    if (!this.holds(w.event.id)) return null;
    return (delivery?.attempts ?? 0) + 1;
  }

  /**
   * A transactional handler over the events of a batch: in one transaction (closed after
   * TRANSACTION_GROUP_MS and a new one opened, so that a slow handler does not hold one open long), each
   * event's delivery mark and the handler's writes. The transaction runs first without savepoints (two
   * statements less per event, and on Postgres no subtransaction per event): when a handler throws, the
   * whole transaction is rolled back, nothing of it is stored, and the same events run again, each in a
   * savepoint, so that only the failing ones are undone. A commit that fails fails every event of that
   * transaction (none of their marks or writes is stored: they are tried again).
   */
  private async deliverTransactional(
    handler: CashlinkEventHandler,
    items: Array<{ work: EventWork; attempt: number }>,
  ): Promise<void> {
    let next = 0;
    while (next < items.length) {
      let run = await this.transactionalRun(handler, items, next, null);
      if (run.handlerFailed) run = await this.transactionalRun(handler, items, next, run.next);
      next = run.next;
      for (const item of run.chunk) {
        if (run.failures.has(item.work))
          await this.recordFailure(item.work, handler, item.attempt, run.failures.get(item.work));
      }
    }
  }

  /**
   * One transaction of `deliverTransactional` from `items[from]`: without savepoints when `until` is
   * null (it stops at the first handler that throws: `handlerFailed`, nothing stored), else with one
   * savepoint per event up to `until` (the events of such a failed run, run again).
   */
  private async transactionalRun(
    handler: CashlinkEventHandler,
    items: Array<{ work: EventWork; attempt: number }>,
    from: number,
    until: number | null,
  ): Promise<{
    chunk: Array<{ work: EventWork; attempt: number }>;
    failures: Map<EventWork, unknown>;
    next: number;
    handlerFailed: boolean;
  }> {
    const chunk: Array<{ work: EventWork; attempt: number }> = [];
    const failures = new Map<EventWork, unknown>();
    const started = Date.now();
    const savepoints = until !== null;
    let next = from;
    let handlerFailed = false;
    try {
      await this.inHandlerTransaction(async (manager) => {
        while (next < (until ?? items.length)) {
          const item = items[next++]!;
          if (!this.holds(item.work.event.id)) continue;
          chunk.push(item);
          if (!savepoints) {
            try {
              await this.deliverIn(manager, handler, item.work, item.attempt);
            } catch (error) {
              handlerFailed = true;
              throw error;
            }
          } else {
            await manager.query('SAVEPOINT cashlink_event');
            try {
              await this.deliverIn(manager, handler, item.work, item.attempt);
              await manager.query('RELEASE SAVEPOINT cashlink_event');
            } catch (error) {
              await manager.query('ROLLBACK TO SAVEPOINT cashlink_event');
              await manager.query('RELEASE SAVEPOINT cashlink_event');
              failures.set(item.work, error);
            }
          }
          if (Date.now() - started >= TRANSACTION_GROUP_MS) break;
        }
      });
    } catch (error) {
      // Rolled back whole: after a handler's failure, run again with savepoints; else not committed,
      // and nothing of this transaction is stored.
      if (!handlerFailed) {
        for (const item of chunk) if (!failures.has(item.work)) failures.set(item.work, error);
      }
    }
    return { chunk, failures, next, handlerFailed };
  }

  /** One event in a handler's transaction: its mark first (a delivery already done skips the handler). */
  private async deliverIn(
    manager: EntityManager,
    handler: CashlinkEventHandler,
    work: EventWork,
    attempt: number,
  ): Promise<void> {
    const payload = await this.payload(work, attempt);
    // First the mark: a delivery already done (by another instance, or before a crash) skips the handler.
    if (await this.store.markDoneIn(manager, work.event.id, handler.name, attempt, Date.now())) {
      await handler.call(payload, manager);
    }
  }

  /** A non-transactional handler for one event: run, then marked done (the mark retried while it may). */
  private async deliverPlain(w: EventWork, handler: CashlinkEventHandler, attempt: number): Promise<void> {
    let ran = false;
    try {
      await handler.call(await this.payload(w, attempt));
      ran = true;
      await this.untilWritten(w.event.id, () =>
        this.store.markDone(w.event.id, handler.name, attempt, Date.now()),
      );
    } catch (error) {
      if (ran) {
        // The handler succeeded but its mark could not be written within the lease: it runs again later.
        this.logger.warn(
          `Event ${w.event.id}: handler ${handler.name} succeeded but could not be marked done (${errorName(error)})`,
        );
        w.nextAt = Math.min(w.nextAt, Date.now());
        return;
      }
      await this.recordFailure(w, handler, attempt, error);
    }
  }

  private async recordFailure(
    w: EventWork,
    handler: CashlinkEventHandler,
    attempt: number,
    error: unknown,
  ): Promise<void> {
    const maxAttempts = handler.maxAttempts ?? this.options.dispatch.maxAttempts;
    const now = Date.now();
    const dead = attempt >= maxAttempts;
    const nextAt = dead ? now : now + this.backoff(attempt);
    // Only the error's class name is logged: handler messages may carry personal data.
    if (dead) {
      w.dead = true;
      this.logger.error(
        `Event ${w.event.id} (${w.event.name}): handler ${handler.name} failed ${attempt} time(s) (${errorName(error)}); dead. Fix it, then CashlinkEventsService.redispatch({ handler: '${handler.name}', state: 'dead' })`,
      );
    } else {
      w.nextAt = Math.min(w.nextAt, nextAt);
      this.logger.warn(
        `Event ${w.event.id} (${w.event.name}): handler ${handler.name} attempt ${attempt}/${maxAttempts} failed (${errorName(error)}); retrying in ${nextAt - now} ms`,
      );
    }
    try {
      await this.store.markFailed(
        w.event.id,
        handler.name,
        dead ? 'dead' : 'retry',
        attempt,
        nextAt,
        describeError(error),
        now,
      );
    } catch (markError) {
      // Not written: the attempt is made again after the lease (a failed attempt repeated is harmless).
      w.nextAt = Math.min(w.nextAt, now);
      this.logger.warn(
        `Event ${w.event.id}: the failed attempt could not be recorded (${errorName(markError)})`,
      );
    }
  }

  /** Settles the batch's events: the done ones in one statement, the others one by one. */
  private async finishAll(works: EventWork[]): Promise<void> {
    const done: number[] = [];
    for (const w of works) {
      if (this.batch?.lost(w.event.id)) continue; // another instance holds it now
      if (Number.isFinite(w.nextAt)) await this.finish(w.event, 'pending', w.nextAt);
      else if (w.dead) await this.finish(w.event, 'dead', w.event.nextAttemptAt);
      else done.push(w.event.id);
    }
    if (done.length === 0) return;
    try {
      const ids = done;
      await this.untilWritten(ids[0]!, () => this.store.finishDone(ids, this.owner, Date.now()));
    } catch (error) {
      // Left leased: claimed again after the lease; their done deliveries are skipped then.
      this.logger.warn(`${done.length} event(s) could not be settled (${errorName(error)})`);
    }
  }

  /**
   * A transaction of the app's DataSource for one transactional handler. SQLite: TypeORM runs every
   * query on one shared connection, so it waits until no other transaction is open on it (joining the
   * app's would tie the handler's commit to the app's).
   */
  private async inHandlerTransaction(work: (manager: EntityManager) => Promise<void>): Promise<void> {
    const dataSource = this.store.dataSource;
    await storeDialectOf(dataSource).beforeTransaction();
    await dataSource.transaction(work);
  }

  private async payload(w: EventWork, attempt: number): Promise<unknown> {
    const { event, fact } = w;
    if (!fact) throw new Error('no fact');
    if (event.source === 'webhook' && this.webhooks?.fetchInvestment && this.fetchInvestment) {
      w.investment ??= this.fetchInvestment((fact as WebhookEventFact).investmentId);
    }
    const investment = w.investment;
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
    // `cashlink.intent.expired` also announces an intent stopped in needs_review: the row says which.
    const named = event.name.slice('cashlink.intent.'.length) as 'succeeded' | 'failed' | 'expired';
    const state = named === 'expired' && f.state === 'needs_review' ? 'needs_review' : named;
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
   * this instance may still hold the event's lease, and for one lease more (`LeasedBatch.untilWritten`).
   */
  private async untilWritten(eventId: number, write: () => Promise<unknown>): Promise<void> {
    await (this.batch ? this.batch.untilWritten(eventId, write) : write());
  }

  private async finish(
    event: CashlinkEventRow,
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
