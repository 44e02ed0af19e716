import { Column, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';
import { epochMsTransformer } from '../webhooks/webhook-columns';

/** Lifecycle of an event of the log: `pending` until every handler is done (or dead). */
export type CashlinkEventState = 'pending' | 'done' | 'dead';

/** Where an event comes from: a received webhook change, or an intent settlement. */
export type CashlinkEventSource = 'webhook' | 'intent';

/** An id the database hands out (`pg` answers bigint as a string). */
const idTransformer = {
  to: (value: number | undefined) => value,
  from: (value: string | number) => Number(value),
};

/**
 * One fact for the app's handlers: a received webhook change or a settled intent. Written by the
 * database itself (a trigger on the inbox insert and on the intent settlement), so the row commits with
 * its fact or not at all. The payload is read from the fact's own row when the event is delivered.
 */
@Entity({ name: 'cashlink_events' })
@Index('IDX_cashlink_events_due', ['state', 'nextAttemptAt'])
@Index('UQ_cashlink_events_fact', ['source', 'sourceId', 'name'], { unique: true })
export class CashlinkEventEntity {
  // pg answers bigint as a string (no transformer on a generated column): read through Number().
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id!: number;

  /** The event name, e.g. `cashlink.investment.status_changed` or `cashlink.intent.succeeded`. */
  @Column({ type: 'varchar', length: 100 })
  name!: string;

  @Column({ type: 'varchar', length: 16 })
  source!: CashlinkEventSource;

  /** The inbox row id (webhook) or the idempotency key (intent). */
  @Column({ name: 'source_id', type: 'varchar', length: 255 })
  sourceId!: string;

  @Column({ name: 'created_at', type: 'bigint', transformer: epochMsTransformer })
  createdAt!: number;

  @Column({ type: 'varchar', length: 16 })
  state!: CashlinkEventState;

  /** Delivery rounds started (counted when the event is claimed). */
  @Column({ type: 'integer', default: 0 })
  attempts!: number;

  /** When the next handler delivery is due (the earliest retry of a failed handler). */
  @Column({ name: 'next_attempt_at', type: 'bigint', transformer: epochMsTransformer })
  nextAttemptAt!: number;

  @Column({ name: 'lease_owner', type: 'varchar', length: 64, nullable: true })
  leaseOwner!: string | null;

  @Column({ name: 'lease_until', type: 'bigint', nullable: true, transformer: epochMsTransformer })
  leaseUntil!: number | null;

  @Column({ name: 'done_at', type: 'bigint', nullable: true, transformer: epochMsTransformer })
  doneAt!: number | null;
}

/** Delivery of one event to one handler: `done` once, `retry` with backoff, or `dead`. */
export type CashlinkDeliveryState = 'done' | 'retry' | 'dead';

/** The delivery state of one handler for one event (no row: not attempted yet). */
@Entity({ name: 'cashlink_event_deliveries' })
export class CashlinkEventDeliveryEntity {
  @PrimaryColumn({ name: 'event_id', type: 'bigint', transformer: idTransformer })
  eventId!: number;

  /** The handler's stable name (`Class.method`, or the `name` given to `@OnCashlinkEvent`). */
  @PrimaryColumn({ type: 'varchar', length: 200 })
  handler!: string;

  @Column({ type: 'varchar', length: 16 })
  state!: CashlinkDeliveryState;

  /** Attempts made, the successful one included. */
  @Column({ type: 'integer', default: 0 })
  attempts!: number;

  @Column({ name: 'next_attempt_at', type: 'bigint', transformer: epochMsTransformer })
  nextAttemptAt!: number;

  /** Name and message of the handler's last error (never logged; stored for inspection). */
  @Column({ name: 'last_error', type: 'varchar', length: 1000, nullable: true })
  lastError!: string | null;

  @Column({ name: 'updated_at', type: 'bigint', transformer: epochMsTransformer })
  updatedAt!: number;
}
