import { Logger } from '@nestjs/common';
import { CashlinkError } from '../errors/cashlink.error';
import type {
  CashlinkIntent,
  CashlinkIntentErrorRecord,
  CashlinkIntentState,
} from './cashlink-intent.entity';
import { CashlinkIntentInProgressError } from './cashlink-intent.error';
import { type AttemptOutcome, type CashlinkIntentRunner, unwrapOutcome } from './cashlink-intent.runner';
import type { CashlinkIntentStore } from './cashlink-intent.store';
import type { ResolvedIdempotencyOptions } from './idempotency.options';
import type { StoredRequest } from './intent-request';
import { parseStoredJson } from './stored-json';

/** A durable write as the app sees it (read-only). */
export interface CashlinkIntentView {
  key: string;
  operation: string;
  method: string;
  path: string;
  state: CashlinkIntentState;
  attempts: number;
  createdAt: Date;
  updatedAt: Date;
  /** When a `pending` intent may be sent next. */
  nextAttemptAt: Date;
  settledAt: Date | null;
  /**
   * When retention purged a settled intent: only a tombstone is left (key, state, timestamps; no
   * request, answer or error), and a repeat of the key throws `CashlinkIntentPurgedError`.
   */
  purgedAt?: Date;
  /** The request: `{ json }` or `{ document: { filename, contentType, sha256, size, path? } }` (bytes left out). May hold investor data. */
  request: StoredRequest;
  /** For `succeeded`: Cashlink's answer. */
  response?: { status: number; body: unknown };
  /** The last error (for `failed` and `expired`, and the last transient one of a `pending` intent). */
  lastError?: CashlinkIntentErrorRecord;
  /** Why the intent could not be resent after a crash, if so. */
  unrecoverableReason?: string;
  /** The lease of the claim sending it right now, if any: `<instanceId>:<claim uuid>`. */
  leaseOwner?: string;
  /** 409 answers in a row so far (against `idempotency.conflictBudget`), when any. */
  conflicts?: number;
}

/** What one `resumeDue()` did. */
export interface CashlinkIntentRecoverySummary {
  /** Intents claimed (and attempted) by this instance. */
  claimed: number;
  succeeded: number;
  failed: number;
  expired: number;
  /** Attempted and still pending (transient failure; retried after a backoff). */
  pending: number;
}

/**
 * Read and operate the durable writes (intents) of this app: look one up by key, list by state, resume
 * due ones now, purge settled ones. The recovery worker calls `resumeDue()` and `purge()` on its own.
 */
export class CashlinkIntentsService {
  private readonly logger = new Logger('CashlinkIntents');
  private stopping = false;

  constructor(
    private readonly store: CashlinkIntentStore,
    private readonly runner: CashlinkIntentRunner,
    private readonly options: ResolvedIdempotencyOptions,
    private readonly now: () => number = Date.now,
  ) {}

  /** The intent with this idempotency key, or null. */
  async find(key: string): Promise<CashlinkIntentView | null> {
    const intent = await this.store.find(key);
    return intent ? toView(intent) : null;
  }

  /** Intents oldest first, optionally of one state (e.g. `expired` ones to reconcile). */
  async list(
    query: { state?: CashlinkIntentState; limit?: number; offset?: number } = {},
  ): Promise<CashlinkIntentView[]> {
    return (await this.store.list(query)).map(toView);
  }

  /** How many intents are in each state. */
  count(): Promise<Record<CashlinkIntentState, number>> {
    return this.store.countByState();
  }

  /**
   * Sends every due `pending` intent nobody else holds, in batches of `recovery.batchSize` with
   * `recovery.concurrency` at a time, until none is due. Each is claimed with a lease first, so that
   * several instances never send one intent at the same time.
   */
  async resumeDue(): Promise<CashlinkIntentRecoverySummary> {
    const summary: CashlinkIntentRecoverySummary = {
      claimed: 0,
      succeeded: 0,
      failed: 0,
      expired: 0,
      pending: 0,
    };
    if (!this.options.enabled) return summary;
    const recovery = this.options.recovery || { batchSize: 50, concurrency: 5 };
    const owner = this.runner.instanceId;
    // Bounded, so that intents failing fast with a tiny backoff cannot keep one call busy forever.
    for (let batchNo = 0; batchNo < 100 && !this.stopping; batchNo++) {
      const batch = await this.store.claimDue(owner, recovery.batchSize, this.now());
      summary.claimed += batch.length;
      let next = 0;
      const work = async (): Promise<void> => {
        while (next < batch.length) {
          const intent = batch[next++]!;
          // The token of this batch's claim (not the instance id): a later claim of the same key in
          // this process, e.g. a caller's repeat after our lease ran out, has another one.
          const lease = intent.leaseOwner!;
          if (this.stopping) {
            await this.store.release(intent.key, lease, this.now());
            summary.claimed--;
            continue;
          }
          // The batch may have waited: send only with a fresh lease still ours.
          if (!(await this.store.renew(intent.key, lease, this.now()))) {
            summary.claimed--;
            continue;
          }
          const outcome = await this.runner
            .attempt(intent)
            .catch((error: unknown): AttemptOutcome => ({ state: 'pending', error: error as Error }));
          summary[outcome.state]++;
        }
      };
      await Promise.all(Array.from({ length: Math.min(recovery.concurrency, batch.length) }, work));
      if (batch.length < recovery.batchSize) break;
    }
    if (summary.claimed > 0) {
      this.logger.log(
        `Recovery: ${summary.claimed} intents attempted: ${summary.succeeded} succeeded, ${summary.failed} failed, ` +
          `${summary.expired} expired, ${summary.pending} still pending`,
      );
    }
    return summary;
  }

  /**
   * Purges `succeeded`, `failed`, `abandoned` and `replaced` intents settled longer than `retentionMs`
   * ago (`expired` and `needs_review` ones are kept for reconciliation): their request, answer and error
   * are dropped and a tombstone stays, so a
   * repeat of the key is refused with `CashlinkIntentPurgedError` instead of being sent again.
   * Returns how many were purged; 0 when retention is off.
   */
  async purge(): Promise<number> {
    if (this.options.retentionMs === false) return 0;
    const now = this.now();
    // Resolved intents (abandoned, replaced) are settled decisions like failed ones; expired and
    // needs_review wait for a person and are kept.
    const purged = await this.store.purge(
      ['succeeded', 'failed', 'abandoned', 'replaced'],
      now - this.options.retentionMs,
      now,
    );
    if (purged > 0) this.logger.log(`Purged ${purged} settled intents older than the retention period`);
    return purged;
  }

  /**
   * Sends one pending intent now (a manual retry, ignoring its backoff) and returns its outcome like
   * the original call would; a settled intent returns (or throws) its stored outcome without a call
   * (`CashlinkIntentPurgedError` once that outcome was purged). Throws
   * `CashlinkIntentInProgressError` while another instance holds it.
   */
  async execute<T = unknown>(key: string): Promise<T> {
    const current = await this.store.find(key);
    if (!current) throw new CashlinkError(`No intent with idempotency key ${key}`);
    const stored = this.runner.outcomeOf(current);
    if (stored) return unwrapOutcome<T>(stored);
    const claimed = await this.store.claim(key, this.runner.instanceId, this.now());
    if (!claimed) {
      const again = await this.store.find(key);
      const outcome = again ? this.runner.outcomeOf(again) : undefined;
      if (outcome) return unwrapOutcome<T>(outcome);
      throw new CashlinkIntentInProgressError(key);
    }
    return unwrapOutcome<T>(await this.runner.attempt(claimed));
  }

  /** Stops taking new intents (shutdown); intents already claimed and not started are released. */
  stop(): void {
    this.stopping = true;
  }
}

function toView(intent: CashlinkIntent): CashlinkIntentView {
  const request = parseStoredJson<StoredRequest>(intent.requestBody) ?? {};
  if (request.document) {
    const { base64: _bytes, ...document } = request.document;
    request.document = document;
  }
  const view: CashlinkIntentView = {
    key: intent.key,
    operation: intent.operation,
    method: intent.method,
    path: intent.path,
    state: intent.state,
    attempts: intent.attempts,
    createdAt: new Date(intent.createdAt),
    updatedAt: new Date(intent.updatedAt),
    nextAttemptAt: new Date(intent.nextAttemptAt),
    settledAt: intent.settledAt === null ? null : new Date(intent.settledAt),
    request,
  };
  if (intent.responseStatus !== null) {
    view.response = {
      status: intent.responseStatus,
      body: parseStoredJson<unknown>(intent.responseBody) ?? null,
    };
  }
  const lastError = parseStoredJson<CashlinkIntentErrorRecord>(intent.lastError);
  if (lastError) view.lastError = lastError;
  if (intent.unrecoverableReason) view.unrecoverableReason = intent.unrecoverableReason;
  if (intent.leaseOwner) view.leaseOwner = intent.leaseOwner;
  if (intent.purgedAt !== null) view.purgedAt = new Date(intent.purgedAt);
  if (intent.conflicts > 0) view.conflicts = intent.conflicts;
  return view;
}
