import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { epochMsTransformer } from './webhook-columns';

/** Lifecycle of an inbox row. */
export type WebhookInboxState = 'pending' | 'processed' | 'dead' | 'quarantined';

/**
 * One received webhook. A valid status change is `pending` until its events were dispatched
 * (`processed`) or every attempt failed (`dead`); an authenticated body that is not a valid status
 * change is kept as `quarantined` with its raw body, for inspection.
 */
@Entity({ name: 'cashlink_webhook_inbox' })
@Index('IDX_cashlink_webhook_inbox_due', ['state', 'nextAttemptAt'])
// One row per change (a duplicate delivery adds nothing), and the watermark (latest change per
// investment) is read from the inbox itself through the same index.
@Index('UQ_cashlink_webhook_inbox_change', ['investmentId', 'changedAt', 'status'], { unique: true })
export class WebhookInboxEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  /**
   * sha256 of `investment_id|status|changed_at` (normalised), or of the raw body of a quarantined row.
   * Unique among quarantined rows (identical junk is kept once); a change is unique by its columns.
   */
  @Index('UQ_cashlink_webhook_inbox_quarantine_key', { unique: true, where: '"investment_id" IS NULL' })
  @Column({ name: 'dedupe_key', type: 'varchar', length: 64 })
  dedupeKey!: string;

  @Column({ name: 'investment_id', type: 'varchar', length: 64, nullable: true })
  investmentId!: string | null;

  @Column({ type: 'varchar', length: 64, nullable: true })
  status!: string | null;

  /** Normalised `changed_at`: UTC, fixed width with nanosecond digits, so strings sort in time order. */
  @Column({ name: 'changed_at', type: 'varchar', length: 40, nullable: true })
  changedAt!: string | null;

  /**
   * Status of the latest earlier change of the investment when this row was last dispatched (before
   * that: the latest status stored at receipt).
   */
  @Column({ name: 'previous_status', type: 'varchar', length: 64, nullable: true })
  previousStatus!: string | null;

  /** A later change of the same investment was stored when this row was last dispatched (before that: at receipt). */
  @Column({ type: 'boolean', default: false })
  stale!: boolean;

  @Column({ name: 'received_at', type: 'bigint', transformer: epochMsTransformer })
  receivedAt!: number;

  @Column({ type: 'varchar', length: 16 })
  state!: WebhookInboxState;

  /** Dispatch attempts started (counted when a row is claimed). */
  @Column({ type: 'integer', default: 0 })
  attempts!: number;

  @Column({ name: 'next_attempt_at', type: 'bigint', transformer: epochMsTransformer })
  nextAttemptAt!: number;

  @Column({ name: 'lease_owner', type: 'varchar', length: 64, nullable: true })
  leaseOwner!: string | null;

  @Column({ name: 'lease_until', type: 'bigint', nullable: true, transformer: epochMsTransformer })
  leaseUntil!: number | null;

  /** Name and message of the last listener error (never logged; stored for inspection). */
  @Column({ name: 'last_error', type: 'varchar', length: 1000, nullable: true })
  lastError!: string | null;

  @Column({ name: 'processed_at', type: 'bigint', nullable: true, transformer: epochMsTransformer })
  processedAt!: number | null;

  /** Raw body of a quarantined row (kept for inspection; never logged). */
  @Column({ name: 'raw_body', type: 'text', nullable: true })
  rawBody!: string | null;
}
