import { Injectable } from '@nestjs/common';
import type {
  CashlinkDeliveryState,
  CashlinkEventDeliveryRow,
  CashlinkEventRow,
  CashlinkEventSource,
  CashlinkEventState,
} from './cashlink-event.entity';
import { CashlinkEventDispatcher } from './cashlink-event.dispatcher';
import { CashlinkEventLogStore } from './cashlink-event-log.store';

/** An event of the durable log, as the public service returns it. */
export interface CashlinkEventRecord {
  id: number;
  name: string;
  source: CashlinkEventSource;
  /** The inbox row id (webhook) or the idempotency key (intent). */
  sourceId: string;
  state: CashlinkEventState;
  createdAt: Date;
  nextAttemptAt: Date;
  doneAt: Date | null;
}

/** One handler's delivery of one event. */
export interface CashlinkDeliveryRecord {
  eventId: number;
  handler: string;
  state: CashlinkDeliveryState;
  attempts: number;
  nextAttemptAt: Date;
  /** Name and message of the handler's last error. */
  lastError: string | null;
  updatedAt: Date;
}

/** Inspect the durable event log and its deliveries per handler, and redispatch them. */
@Injectable()
export class CashlinkEventsService {
  constructor(
    private readonly store: CashlinkEventLogStore,
    private readonly dispatcher: CashlinkEventDispatcher,
  ) {}

  /** Events, oldest first (at most `limit`, default 100). */
  async list(
    filter: {
      state?: CashlinkEventState;
      name?: string;
      source?: CashlinkEventSource;
      sourceId?: string;
      limit?: number;
    } = {},
  ): Promise<CashlinkEventRecord[]> {
    return (await this.store.list(filter)).map(toEventRecord);
  }

  /** Deliveries per handler: of one event, of one handler, or in a state (e.g. every `dead` one). */
  async deliveries(
    filter: { eventId?: number; handler?: string; state?: CashlinkDeliveryState; limit?: number } = {},
  ): Promise<CashlinkDeliveryRecord[]> {
    return (await this.store.listDeliveries(filter)).map(toDeliveryRecord);
  }

  /** How many handler deliveries are in each state (`done`, `retry`, `dead`), of one handler when given. */
  countDeliveries(handler?: string): Promise<Record<CashlinkDeliveryState, number>> {
    return this.store.countDeliveries(handler);
  }

  /**
   * Delivers again, to one handler only: `{ eventId, handler }` replays that delivery even when it is
   * done (a transactional handler then runs again in a new transaction: a replay you asked for);
   * `{ state: 'dead', handler? }` re-queues every dead delivery (of that handler). Each gets a fresh
   * attempt budget; the other handlers of the event are not run again. Resolves with how many.
   */
  async redispatch(
    target: { eventId: number; handler: string } | { state: 'dead'; handler?: string },
  ): Promise<number> {
    const count = await this.store.redispatch(target, Date.now());
    if (count > 0) this.dispatcher.kick();
    return count;
  }

  /** Delivers every due event now (also done by the background loop); resolves with how many. */
  dispatchDue(): Promise<number> {
    return this.dispatcher.dispatchDue();
  }

  /** Deletes done events past `events.retentionMs` (also done hourly by the loop). */
  purge(): Promise<number> {
    return this.dispatcher.purge();
  }
}

function toEventRecord(e: CashlinkEventRow): CashlinkEventRecord {
  return {
    id: Number(e.id),
    name: e.name,
    source: e.source,
    sourceId: e.sourceId,
    state: e.state,
    createdAt: new Date(e.createdAt),
    nextAttemptAt: new Date(e.nextAttemptAt),
    doneAt: e.doneAt === null ? null : new Date(e.doneAt),
  };
}

function toDeliveryRecord(d: CashlinkEventDeliveryRow): CashlinkDeliveryRecord {
  return {
    eventId: d.eventId,
    handler: d.handler,
    state: d.state,
    attempts: d.attempts,
    nextAttemptAt: new Date(d.nextAttemptAt),
    lastError: d.lastError,
    updatedAt: new Date(d.updatedAt),
  };
}
