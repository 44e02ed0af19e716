/** Lifecycle of an event of the log: `pending` until every handler is done (or one is dead). */
export type CashlinkEventState = 'pending' | 'done' | 'dead';

/** Where an event comes from: a received webhook change, or an intent settlement. */
export type CashlinkEventSource = 'webhook' | 'intent';

/**
 * One fact for the app's handlers (a row of `cashlink_events`): a received webhook change or a settled
 * intent. Written by the database itself (a trigger on the inbox insert and on the intent settlement),
 * so the row commits with its fact or not at all. The payload is read from the fact's own row when the
 * event is delivered. Not a TypeORM entity: the tables come from the migration (or, with
 * `synchronize: true`, from the event log at start-up), because their generated id must be a `bigint`
 * on Postgres and an `INTEGER` rowid on SQLite, which one entity cannot declare.
 */
export interface CashlinkEventRow {
  id: number;
  /** The event name, e.g. `cashlink.investment.status_changed` or `cashlink.intent.succeeded`. */
  name: string;
  source: CashlinkEventSource;
  /** The inbox row id (webhook) or the idempotency key (intent). */
  sourceId: string;
  createdAt: number;
  state: CashlinkEventState;
  /** Delivery rounds started (counted when the event is claimed). */
  attempts: number;
  /** When the next handler delivery is due (the earliest retry of a failed handler). */
  nextAttemptAt: number;
  leaseOwner: string | null;
  leaseUntil: number | null;
  doneAt: number | null;
}

/** Delivery of one event to one handler: `done` once, `retry` with backoff, or `dead`. */
export type CashlinkDeliveryState = 'done' | 'retry' | 'dead';

/** The delivery state of one handler for one event (a row of `cashlink_event_deliveries`; none: not attempted). */
export interface CashlinkEventDeliveryRow {
  eventId: number;
  /** The handler's stable name (`Class.method`, or the `name` given to `@OnCashlinkEvent`). */
  handler: string;
  state: CashlinkDeliveryState;
  /** Attempts made, the successful one included. */
  attempts: number;
  nextAttemptAt: number;
  /** Name and message of the handler's last error (never logged; stored for inspection). */
  lastError: string | null;
  updatedAt: number;
}
