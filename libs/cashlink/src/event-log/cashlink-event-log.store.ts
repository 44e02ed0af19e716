import type { DataSource, EntityManager } from 'typeorm';
import { storeDialectOf, type StoreDialect } from '../persistence/store-dialect';
import { intentBinding } from '../protection/protected-columns';
import { ProtectionCodec } from '../protection/protection-codec';
import { CashlinkError } from '../errors/cashlink.error';
import type { CashlinkIntentErrorRecord } from '../idempotency/cashlink-intent.entity';
import type {
  CashlinkDeliveryState,
  CashlinkEventDeliveryRow,
  CashlinkEventRow,
  CashlinkEventState,
} from './cashlink-event.entity';

const EVENTS = '"cashlink_events"';
const DELIVERIES = '"cashlink_event_deliveries"';
const EVENT_COLUMNS =
  '"id", "name", "source", "source_id", "created_at", "state", "attempts", "next_attempt_at", "lease_owner", "lease_until", "done_at"';

/**
 * The mark of one handler's delivery as done: inserted, or turned to done from `retry`; nothing when it
 * is done already (then `RETURNING` answers no row). Run inside the handler's own transaction, it is
 * what makes a transactional handler exactly once: a second run (another instance, a repeat after a
 * crash) either waits for the first one's row lock (Postgres) and then finds it done, or finds it done.
 */
const MARK_DONE =
  `INSERT INTO ${DELIVERIES} ("event_id", "handler", "state", "attempts", "next_attempt_at", "last_error", "updated_at") ` +
  `VALUES (?, ?, 'done', ?, ?, NULL, ?) ON CONFLICT ("event_id", "handler") DO UPDATE SET "state" = 'done', ` +
  `"attempts" = excluded."attempts", "last_error" = NULL, "updated_at" = excluded."updated_at" ` +
  `WHERE ${DELIVERIES}."state" <> 'done' RETURNING "event_id"`;

/** A failed attempt: `retry` at a later time, or `dead`; never over a `done`. */
const MARK_FAILED =
  `INSERT INTO ${DELIVERIES} ("event_id", "handler", "state", "attempts", "next_attempt_at", "last_error", "updated_at") ` +
  `VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT ("event_id", "handler") DO UPDATE SET "state" = excluded."state", ` +
  `"attempts" = excluded."attempts", "next_attempt_at" = excluded."next_attempt_at", "last_error" = excluded."last_error", ` +
  `"updated_at" = excluded."updated_at" WHERE ${DELIVERIES}."state" <> 'done' RETURNING "event_id"`;

/** What the handlers of a webhook event are given, read from the inbox row with its watermark. */
export interface WebhookEventFact {
  inboxId: string;
  investmentId: string;
  status: string;
  changedAt: string;
  previousStatus: string | null;
  stale: boolean;
}

/** What the handlers of an intent event are given, read from the intent row. */
export interface IntentEventFact {
  key: string;
  operation: string;
  /** The intent's state now (an event's name does not tell `expired` from `needs_review`). */
  state: string;
  attempts: number;
  settledAt: number | null;
  responseStatus: number | null;
  responseBody: string | null;
  lastError: CashlinkIntentErrorRecord | undefined;
}

/**
 * The statements of the event log. Like the inbox and the intents, every write outside a handler's
 * transaction is one statement on its own: SQLite through the DataSource's group commit (never inside
 * the app's open transaction on the shared connection), Postgres on a pooled connection.
 */
export class CashlinkEventLogStore {
  private readonly dialect: StoreDialect;

  constructor(
    readonly dataSource: DataSource,
    /** Opens the intent columns sealed at rest (answer and error) for the handlers. */
    private readonly codec: ProtectionCodec = ProtectionCodec.PLAIN,
  ) {
    this.dialect = storeDialectOf(dataSource);
  }

  private text(sql: string): string {
    return this.dialect.text(sql);
  }

  private write(sql: string, params: unknown[]): Promise<Array<Record<string, unknown>>> {
    return this.dialect.write(sql, params, {
      // Losing a mark to a power loss only delivers again (non-transactional handlers are at least once).
      durable: false,
      timeoutError: (waited) =>
        new CashlinkError(
          `The SQLite connection stayed inside a transaction for ${waited} ms, so the event log could not write on its own.`,
        ),
    });
  }

  private read(sql: string, params: unknown[]): Promise<Array<Record<string, unknown>>> {
    return this.dialect.read(sql, params);
  }

  /**
   * Claims up to `limit` due events for `owner` until `now + leaseMs` (one statement; Postgres picks
   * them with `FOR UPDATE SKIP LOCKED`, so instances take disjoint batches). An event whose lease is
   * held and unexpired is never claimed.
   */
  async claimDue(owner: string, limit: number, leaseMs: number, now: number): Promise<CashlinkEventRow[]> {
    const due = `"state" = 'pending' AND "next_attempt_at" <= ? AND ("lease_until" IS NULL OR "lease_until" <= ?)`;
    const recheck = this.dialect.recheck(
      `"state" = 'pending' AND ("lease_until" IS NULL OR "lease_until" <= ?)`,
      now,
    );
    const sql =
      `UPDATE ${EVENTS} SET "lease_owner" = ?, "lease_until" = ?, "attempts" = "attempts" + 1 ` +
      `WHERE "id" IN (SELECT "id" FROM ${EVENTS} WHERE ${due} ORDER BY "next_attempt_at", "id" LIMIT ?${this.dialect.skipLocked})` +
      `${recheck.sql} RETURNING ${EVENT_COLUMNS}`;
    const rows = await this.write(sql, [owner, now + leaseMs, now, now, limit, ...recheck.params]);
    return rows.map(toEvent).sort((a, b) => a.id - b.id);
  }

  /** Extends `owner`'s lease on `ids` to `now + leaseMs`; answers the ids still held. */
  async renew(ids: readonly number[], owner: string, leaseMs: number, now: number): Promise<Set<number>> {
    if (ids.length === 0) return new Set();
    const sql =
      `UPDATE ${EVENTS} SET "lease_until" = ? WHERE "id" IN (${ids.map(() => '?').join(', ')}) ` +
      `AND "lease_owner" = ? AND "state" = 'pending' RETURNING "id"`;
    const rows = await this.write(sql, [now + leaseMs, ...ids, owner]);
    return new Set(rows.map((r) => Number(r.id)));
  }

  /** Settles a claimed event and drops its lease, if `owner` still holds it. */
  async finish(
    id: number,
    owner: string,
    state: CashlinkEventState,
    nextAttemptAt: number,
    now: number,
  ): Promise<boolean> {
    const sql =
      `UPDATE ${EVENTS} SET "state" = ?, "next_attempt_at" = ?, "done_at" = ?, "lease_owner" = NULL, "lease_until" = NULL ` +
      `WHERE "id" = ? AND "lease_owner" = ? RETURNING "id"`;
    const rows = await this.write(sql, [state, nextAttemptAt, state === 'pending' ? null : now, id, owner]);
    return rows.length > 0;
  }

  /** Settles claimed events as done in one statement (those `owner` still holds). */
  async finishDone(ids: readonly number[], owner: string, now: number): Promise<number> {
    if (ids.length === 0) return 0;
    const sql =
      `UPDATE ${EVENTS} SET "state" = 'done', "done_at" = ?, "lease_owner" = NULL, "lease_until" = NULL ` +
      `WHERE "id" IN (${ids.map(() => '?').join(', ')}) AND "lease_owner" = ? RETURNING "id"`;
    return (await this.write(sql, [now, ...ids, owner])).length;
  }

  /** The deliveries stored for `eventIds`, by event id then handler. */
  async deliveries(eventIds: readonly number[]): Promise<Map<number, Map<string, CashlinkEventDeliveryRow>>> {
    const out = new Map<number, Map<string, CashlinkEventDeliveryRow>>();
    if (eventIds.length === 0) return out;
    const rows = await this.read(
      `SELECT "event_id", "handler", "state", "attempts", "next_attempt_at", "last_error", "updated_at" FROM ${DELIVERIES} ` +
        `WHERE "event_id" IN (${eventIds.map(() => '?').join(', ')})`,
      [...eventIds],
    );
    for (const row of rows) {
      const delivery = toDelivery(row);
      let map = out.get(delivery.eventId);
      if (!map) out.set(delivery.eventId, (map = new Map()));
      map.set(delivery.handler, delivery);
    }
    return out;
  }

  /**
   * Marks a delivery done inside the caller's transaction (`manager`): true when this call marked it,
   * false when it was done already (the handler must then not run).
   */
  async markDoneIn(
    manager: EntityManager,
    eventId: number,
    handler: string,
    attempts: number,
    now: number,
  ): Promise<boolean> {
    const rows = (await manager.query(this.text(MARK_DONE), [
      eventId,
      handler,
      attempts,
      now,
      now,
    ])) as unknown[];
    return rows.length > 0;
  }

  /** Marks a delivery done on its own (a non-transactional handler that succeeded). */
  async markDone(eventId: number, handler: string, attempts: number, now: number): Promise<boolean> {
    return (await this.write(MARK_DONE, [eventId, handler, attempts, now, now])).length > 0;
  }

  /** Records a failed attempt: `retry` at `nextAttemptAt`, or `dead`. */
  async markFailed(
    eventId: number,
    handler: string,
    state: Exclude<CashlinkDeliveryState, 'done'>,
    attempts: number,
    nextAttemptAt: number,
    lastError: string,
    now: number,
  ): Promise<boolean> {
    const rows = await this.write(MARK_FAILED, [
      eventId,
      handler,
      state,
      attempts,
      nextAttemptAt,
      truncate(lastError),
      now,
    ]);
    return rows.length > 0;
  }

  /** The webhook facts of `inboxIds`, each with its watermark computed from every change stored by now. */
  async webhookFacts(inboxIds: readonly string[]): Promise<Map<string, WebhookEventFact>> {
    const out = new Map<string, WebhookEventFact>();
    if (inboxIds.length === 0) return out;
    const rows = await this.read(
      `SELECT i."id", i."investment_id", i."status", i."changed_at", ` +
        `EXISTS (SELECT 1 FROM "cashlink_webhook_inbox" w WHERE w."investment_id" = i."investment_id" AND w."changed_at" > i."changed_at") AS "w_stale", ` +
        `(SELECT w."status" FROM "cashlink_webhook_inbox" w WHERE w."investment_id" = i."investment_id" AND w."changed_at" < i."changed_at" ORDER BY w."changed_at" DESC LIMIT 1) AS "w_previous" ` +
        `FROM "cashlink_webhook_inbox" i WHERE i."id" IN (${inboxIds.map(() => '?').join(', ')})`,
      [...inboxIds],
    );
    for (const row of rows) {
      out.set(String(row.id), {
        inboxId: String(row.id),
        investmentId: String(row.investment_id),
        status: String(row.status),
        changedAt: String(row.changed_at),
        previousStatus: typeof row.w_previous === 'string' ? row.w_previous : null,
        // SQLite answers booleans as 0 / 1.
        stale: row.w_stale === true || Number(row.w_stale) === 1,
      });
    }
    return out;
  }

  /** The intent facts of `keys`. */
  async intentFacts(keys: readonly string[]): Promise<Map<string, IntentEventFact>> {
    const out = new Map<string, IntentEventFact>();
    if (keys.length === 0) return out;
    const rows = await this.read(
      `SELECT "idempotency_key", "operation", "state", "attempts", "settled_at", "response_status", "response_body", "last_error" ` +
        `FROM "cashlink_intents" WHERE "idempotency_key" IN (${keys.map(() => '?').join(', ')})`,
      [...keys],
    );
    for (const row of rows) {
      const key = String(row.idempotency_key);
      const sealedError = typeof row.last_error === 'string' ? row.last_error : null;
      const sealedBody = typeof row.response_body === 'string' ? row.response_body : null;
      let lastError: CashlinkIntentErrorRecord | undefined;
      try {
        const text = this.codec.open(sealedError, intentBinding('last_error', key));
        lastError = text === null ? undefined : (JSON.parse(text) as CashlinkIntentErrorRecord);
      } catch {
        lastError = undefined;
      }
      const responseBody = this.codec.open(sealedBody, intentBinding('response_body', key));
      out.set(String(row.idempotency_key), {
        key: String(row.idempotency_key),
        operation: String(row.operation),
        state: String(row.state),
        attempts: Number(row.attempts),
        settledAt: row.settled_at === null || row.settled_at === undefined ? null : Number(row.settled_at),
        responseStatus:
          row.response_status === null || row.response_status === undefined
            ? null
            : Number(row.response_status),
        responseBody,
        lastError,
      });
    }
    return out;
  }

  /** Events, oldest first, with filters (for the public service). */
  async list(filter: {
    state?: CashlinkEventState;
    name?: string;
    source?: string;
    sourceId?: string;
    limit?: number;
  }): Promise<CashlinkEventRow[]> {
    const { where, params } = whereEquals({
      state: filter.state,
      name: filter.name,
      source: filter.source,
      source_id: filter.sourceId,
    });
    const rows = await this.read(`SELECT ${EVENT_COLUMNS} FROM ${EVENTS}${where} ORDER BY "id" LIMIT ?`, [
      ...params,
      filter.limit ?? 100,
    ]);
    return rows.map(toEvent);
  }

  /** Deliveries per handler, by event then handler, with filters. */
  async listDeliveries(filter: {
    eventId?: number;
    handler?: string;
    state?: CashlinkDeliveryState;
    limit?: number;
  }): Promise<CashlinkEventDeliveryRow[]> {
    const { where, params } = whereEquals({
      event_id: filter.eventId,
      handler: filter.handler,
      state: filter.state,
    });
    const rows = await this.read(
      `SELECT "event_id", "handler", "state", "attempts", "next_attempt_at", "last_error", "updated_at" FROM ${DELIVERIES}` +
        `${where} ORDER BY "event_id", "handler" LIMIT ?`,
      [...params, filter.limit ?? 100],
    );
    return rows.map(toDelivery);
  }

  /** How many deliveries are in each state (of one handler, when given). */
  async countDeliveries(handler?: string): Promise<Record<CashlinkDeliveryState, number>> {
    const { where, params } = whereEquals({ handler });
    const rows = await this.read(
      `SELECT "state", COUNT(*) AS "n" FROM ${DELIVERIES}${where} GROUP BY "state"`,
      params,
    );
    const counts: Record<CashlinkDeliveryState, number> = { done: 0, retry: 0, dead: 0 };
    for (const row of rows as Array<{ state: CashlinkDeliveryState; n: number | string }>) {
      counts[row.state] = Number(row.n);
    }
    return counts;
  }

  /**
   * Redispatch: the matching deliveries go back to `retry` with a fresh attempt budget (due now), and
   * their events back to `pending`. A done delivery is delivered again only when named explicitly
   * (`eventId` and `handler`), a replay; a filter by state only ever takes `dead` ones. Returns how
   * many deliveries were re-queued.
   */
  async redispatch(
    filter: { eventId: number; handler: string } | { handler?: string; state: 'dead' },
    now: number,
  ): Promise<number> {
    const where =
      'eventId' in filter
        ? { sql: `"event_id" = ? AND "handler" = ?`, params: [filter.eventId, filter.handler] as unknown[] }
        : filter.handler
          ? { sql: `"state" = 'dead' AND "handler" = ?`, params: [filter.handler] as unknown[] }
          : { sql: `"state" = 'dead'`, params: [] as unknown[] };
    const requeued = await this.write(
      `UPDATE ${DELIVERIES} SET "state" = 'retry', "attempts" = 0, "next_attempt_at" = ?, "updated_at" = ? WHERE ${where.sql} RETURNING "event_id"`,
      [now, now, ...where.params],
    );
    const ids = [...new Set(requeued.map((r) => Number(r.event_id)))];
    for (let i = 0; i < ids.length; i += 500) {
      const chunk = ids.slice(i, i + 500);
      await this.write(
        `UPDATE ${EVENTS} SET "state" = 'pending', "next_attempt_at" = ?, "done_at" = NULL WHERE "id" IN (${chunk.map(() => '?').join(', ')}) RETURNING "id"`,
        [now, ...chunk],
      );
    }
    return requeued.length;
  }

  /** Deletes done events (and their deliveries) done before `before`, in chunks; answers how many events. */
  async purgeDone(before: number, chunk = 500): Promise<number> {
    let total = 0;
    for (;;) {
      const ids = (
        await this.read(
          `SELECT "id" FROM ${EVENTS} WHERE "state" = 'done' AND "done_at" < ? ORDER BY "id" LIMIT ?`,
          [before, chunk],
        )
      ).map((r) => Number(r.id));
      if (ids.length === 0) return total;
      const list = ids.map(() => '?').join(', ');
      await this.write(`DELETE FROM ${DELIVERIES} WHERE "event_id" IN (${list}) RETURNING "event_id"`, ids);
      total += (
        await this.write(
          `DELETE FROM ${EVENTS} WHERE "id" IN (${list}) AND "state" = 'done' RETURNING "id"`,
          ids,
        )
      ).length;
      if (ids.length < chunk) return total;
    }
  }
}

function toEvent(row: Record<string, unknown>): CashlinkEventRow {
  const epoch = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
  return {
    id: Number(row.id),
    name: String(row.name),
    source: String(row.source) as CashlinkEventRow['source'],
    sourceId: String(row.source_id),
    createdAt: Number(row.created_at),
    state: String(row.state) as CashlinkEventState,
    attempts: Number(row.attempts),
    nextAttemptAt: Number(row.next_attempt_at),
    leaseOwner: row.lease_owner === null || row.lease_owner === undefined ? null : String(row.lease_owner),
    leaseUntil: epoch(row.lease_until),
    doneAt: epoch(row.done_at),
  };
}

function toDelivery(row: Record<string, unknown>): CashlinkEventDeliveryRow {
  return {
    eventId: Number(row.event_id),
    handler: String(row.handler),
    state: String(row.state) as CashlinkDeliveryState,
    attempts: Number(row.attempts),
    nextAttemptAt: Number(row.next_attempt_at),
    lastError: row.last_error === null || row.last_error === undefined ? null : String(row.last_error),
    updatedAt: Number(row.updated_at),
  };
}

function truncate(text: string): string {
  return text.length > 1000 ? `${text.slice(0, 997)}...` : text;
}

/** ` WHERE "a" = ? AND …` for the given columns whose value is not undefined (or '' when none is). */
function whereEquals(columns: Record<string, unknown>): { where: string; params: unknown[] } {
  const given = Object.entries(columns).filter(([, value]) => value !== undefined);
  return {
    where: given.length ? ` WHERE ${given.map(([column]) => `"${column}" = ?`).join(' AND ')}` : '',
    params: given.map(([, value]) => value),
  };
}
