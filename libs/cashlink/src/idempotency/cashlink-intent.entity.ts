import { Column, Entity, Index, PrimaryColumn, type ValueTransformer } from 'typeorm';

/** Name of the intents table (the migration creates it). */
export const CASHLINK_INTENTS_TABLE = 'cashlink_intents';

/**
 * Where an intent is in its life:
 * - `pending`: recorded, not settled yet (not sent, in flight, or waiting for its next attempt);
 * - `succeeded`: Cashlink answered 2xx; the answer is stored and replayed for a repeat of the key;
 * - `failed`: Cashlink answered a definitive 4xx; the error is stored and rethrown for a repeat;
 * - `expired`: not settled within `maxAgeMs` (or not resendable): never sent again, needs reconciliation;
 * - `needs_review`: stopped before `maxAgeMs` because retrying cannot help (e.g. Cashlink kept answering
 *   409 past `idempotency.conflictBudget`): never sent again, a person must reconcile and resolve it;
 * - `abandoned`: a person decided it is not to be created (resolution recorded);
 * - `replaced`: a person decided it was not created and sent it again under a new key (the old key is
 *   never sent again; the resolution names the new key).
 */
export type CashlinkIntentState =
  'pending' | 'succeeded' | 'failed' | 'expired' | 'needs_review' | 'abandoned' | 'replaced';

/** Every state, in display order. */
export const CASHLINK_INTENT_STATES: readonly CashlinkIntentState[] = [
  'pending',
  'succeeded',
  'failed',
  'expired',
  'needs_review',
  'abandoned',
  'replaced',
];

/** The states that are final. */
export const SETTLED_INTENT_STATES: readonly CashlinkIntentState[] = [
  'succeeded',
  'failed',
  'expired',
  'needs_review',
  'abandoned',
  'replaced',
];

/** The states in which an intent waits for a person to reconcile and resolve it. */
export const AWAITING_RESOLUTION_STATES: readonly CashlinkIntentState[] = ['expired', 'needs_review'];

/** What is kept of the last error of an intent: enough to rebuild the typed error, never a secret. */
export interface CashlinkIntentErrorRecord {
  /** The library's error class name, e.g. `CashlinkValidationError`. */
  className: string;
  message: string;
  /** HTTP status, for an answer from Cashlink. */
  status?: number;
  /** Cashlink's answer body (DRF field errors or `{ detail }`), for an answer from Cashlink. */
  body?: unknown;
  requestId?: string;
  retryAfterMs?: number;
  /** For `expired`: why the intent will not be sent again. */
  reason?: string;
}

/**
 * Epoch milliseconds in a `bigint` column: the same on SQLite and Postgres (node-postgres returns
 * bigint as a string, SQLite as a number).
 */
const epochMs: ValueTransformer = {
  to: (value: number | null | undefined) => value,
  from: (value: string | number | null) => (value === null || value === undefined ? null : Number(value)),
};

/**
 * One durable write to Cashlink: recorded (and committed) before the call, settled after it.
 * Rows are written by the library only; read them through `CashlinkIntentsService`.
 */
@Entity({ name: CASHLINK_INTENTS_TABLE })
@Index('IDX_cashlink_intents_state_next_attempt', ['state', 'nextAttemptAt'])
@Index('IDX_cashlink_intents_state_purged_settled', ['state', 'purgedAt', 'settledAt'])
export class CashlinkIntent {
  /** The idempotency key sent as `X-Idempotency-Key`: the caller's own id, or a UUIDv7. */
  @PrimaryColumn({ name: 'idempotency_key', type: 'varchar', length: 255 })
  key!: string;

  /** The library operation, e.g. `investments.create`. */
  @Column({ type: 'varchar', length: 100 })
  operation!: string;

  @Column({ type: 'varchar', length: 10 })
  method!: string;

  /** Path relative to the API base, e.g. `/v2/investments/`. */
  @Column({ type: 'varchar', length: 1000 })
  path!: string;

  /**
   * The request as JSON text: `{ "json": ... }` for a JSON body, `{ "document": ... }` for an upload
   * (bytes in base64, or a file path and its SHA-256), `{}` for none. It may contain investor data:
   * stored encrypted (see docs/personal-data.md), never logged. Null once purged or erased.
   */
  @Column({ name: 'request_body', type: 'text', nullable: true })
  requestBody!: string | null;

  /** SHA-256 (hex) of the canonical method, path and body: a repeat with another request is a conflict. */
  @Column({ name: 'request_hash', type: 'varchar', length: 64 })
  requestHash!: string;

  @Column({ type: 'varchar', length: 20 })
  state!: CashlinkIntentState;

  /** Attempts started (an attempt counts when it is claimed, so a crash mid-call counts too). */
  @Column({ type: 'integer', default: 0 })
  attempts!: number;

  /** Epoch ms from which the recovery worker may take the intent. */
  @Column({ name: 'next_attempt_at', type: 'bigint', transformer: epochMs })
  nextAttemptAt!: number;

  /**
   * The lease token of the claim, if any: `<instanceId>:<uuid>`, new for every claim, so that only the
   * claim that set it can renew, settle or release it (not another claim in the same process).
   */
  @Column({ name: 'lease_owner', type: 'varchar', length: 255, nullable: true })
  leaseOwner!: string | null;

  /** Epoch ms when the claim ends; a dead process's claim simply runs out. */
  @Column({ name: 'lease_until', type: 'bigint', nullable: true, transformer: epochMs })
  leaseUntil!: number | null;

  @Column({ name: 'response_status', type: 'integer', nullable: true })
  responseStatus!: number | null;

  /** Cashlink's 2xx answer body as JSON text. */
  @Column({ name: 'response_body', type: 'text', nullable: true })
  responseBody!: string | null;

  /** The last error as JSON (`CashlinkIntentErrorRecord`). */
  @Column({ name: 'last_error', type: 'text', nullable: true })
  lastError!: string | null;

  /** Why the intent cannot be resent after a crash (e.g. a stream larger than `documentBytesLimit`). */
  @Column({ name: 'unrecoverable_reason', type: 'text', nullable: true })
  unrecoverableReason!: string | null;

  /**
   * 409 answers in a row (Cashlink holds the key for another request, or still runs the first one): past
   * `idempotency.conflictBudget` the intent goes to `needs_review` instead of being retried until `maxAgeMs`.
   */
  @Column({ type: 'integer', default: 0 })
  conflicts!: number;

  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs })
  createdAt!: number;

  @Column({ name: 'updated_at', type: 'bigint', transformer: epochMs })
  updatedAt!: number;

  @Column({ name: 'settled_at', type: 'bigint', nullable: true, transformer: epochMs })
  settledAt!: number | null;

  /**
   * Epoch ms when retention purged the settled intent's bodies. The row stays as a tombstone (key, hash,
   * state, timestamps), so that a repeat of the key is refused instead of being sent again.
   */
  @Column({ name: 'purged_at', type: 'bigint', nullable: true, transformer: epochMs })
  purgedAt!: number | null;

  /**
   * Epoch ms when the intent's personal data was erased on request (`CashlinkDataProtectionService`):
   * bodies are gone, key and request hash stay, and a repeat of the key is refused.
   */
  @Column({ name: 'erased_at', type: 'bigint', nullable: true, transformer: epochMs })
  erasedAt!: number | null;
}
