import { countIntent, inSpan, intentAttributes } from '../telemetry/cashlink-telemetry';
import { Logger } from '@nestjs/common';
import type { EventEmitter2 } from '@nestjs/event-emitter';
import {
  CashlinkApiError,
  type CashlinkApiErrorDetails,
  CashlinkAuthenticationError,
  CashlinkConflictError,
  CashlinkNotFoundError,
  CashlinkPayloadTooLargeError,
  CashlinkPermissionError,
  CashlinkRateLimitError,
  CashlinkServerError,
  CashlinkUnreadableAnswerError,
  CashlinkValidationError,
} from '../errors/cashlink-api.error';
import { backoffDelayMs } from '../common/backoff';
import { CashlinkError, CashlinkNetworkError } from '../errors/cashlink.error';
import { parseFieldErrors } from '../errors/create-cashlink-api-error';
import { CASHLINK_EVENTS } from '../events/cashlink-events.constants';
import type { CashlinkHttpClient, CashlinkResponse } from '../http/cashlink-http.client';
import type { MultipartPayload } from '../http/multipart';
import type { CashlinkIntent, CashlinkIntentErrorRecord } from './cashlink-intent.entity';
import {
  CashlinkIntentErasedError,
  CashlinkIntentExpiredError,
  CashlinkIntentFailedError,
  CashlinkIntentPurgedError,
} from './cashlink-intent.error';
import type { CashlinkIntentSettlement, CashlinkIntentStore } from './cashlink-intent.store';
import type { ResolvedIdempotencyOptions } from './idempotency.options';
import { restoreMultipart, type StoredRequest } from './intent-request';
import { IntentSettledEvent } from './intent-settled.event';
import { parseStoredJson } from './stored-json';
import { logKey } from '../common/log-key';

/** The result of one attempt, as the caller sees it. */
export type AttemptOutcome =
  { state: 'succeeded'; data: unknown } | { state: 'failed' | 'expired' | 'pending'; error: Error };

/** The outcome as the caller of a write gets it: the data, or the error thrown. */
export function unwrapOutcome<T>(outcome: AttemptOutcome): T {
  if (outcome.state === 'succeeded') return outcome.data as T;
  throw outcome.error;
}

/** What only the calling process has: the live upload and the caller's per-call settings. */
export interface LiveRequest {
  multipart?: MultipartPayload;
  timeoutMs?: number;
  signal?: AbortSignal;
  maxRetries?: number;
}

/**
 * Runs one attempt of an intent this instance has claimed, settles it, and emits the event.
 * Shared by the write path (the caller's own call) and the recovery worker.
 */
export class CashlinkIntentRunner {
  private readonly logger = new Logger('CashlinkIntents');

  constructor(
    private readonly store: CashlinkIntentStore,
    private readonly http: CashlinkHttpClient,
    private readonly options: ResolvedIdempotencyOptions,
    private readonly events: EventEmitter2 | undefined,
    private readonly now: () => number = Date.now,
  ) {}

  get instanceId(): string {
    return this.options.instanceId;
  }

  /**
   * Sends a claimed intent once (the HTTP layer may retry inside the attempt with the same key) and
   * settles it: 2xx → succeeded; definitive 4xx → failed; transient → pending with backoff; too old
   * or not resendable → expired (never sent); a 2xx whose answer cannot be read → expired at once
   * (Cashlink acted: never resent). `intent` is the row a claim returned: its `leaseOwner` is the
   * lease token every write of this attempt must match.
   */
  async attempt(intent: CashlinkIntent, live: LiveRequest = {}): Promise<AttemptOutcome> {
    const lease = intent.leaseOwner;
    const key = intent.key;
    if (!lease) throw new CashlinkError(`Intent ${key} is attempted without being claimed`);
    const startedAt = this.now();
    if (intent.erasedAt !== null && intent.erasedAt !== undefined) {
      // Erasure settles a pending intent itself; this only guards a row read just before it did.
      return {
        state: 'expired',
        error: new CashlinkIntentErasedError(key, 'expired', new Date(intent.erasedAt)),
      };
    }

    if (startedAt - intent.createdAt > this.options.maxAgeMs) {
      const error = new CashlinkIntentExpiredError(
        key,
        `it was not settled within idempotency.maxAgeMs (${this.options.maxAgeMs} ms) of being recorded; Cashlink may have forgotten the key`,
      );
      return this.expire(intent, error, error);
    }

    const stored = parseStoredJson<StoredRequest>(intent.requestBody);
    if (!stored) {
      const error = new CashlinkIntentExpiredError(key, 'its stored request is not readable');
      return this.expire(intent, error, error);
    }

    let multipart = live.multipart;
    if (stored.document && !multipart) {
      if (intent.unrecoverableReason) {
        const error = new CashlinkIntentExpiredError(key, intent.unrecoverableReason);
        return this.expire(intent, error, error);
      }
      const restored = await restoreMultipart(stored.document);
      if (!restored.ok) {
        const error = new CashlinkIntentExpiredError(key, `it cannot be resent: ${restored.reason}`);
        return this.expire(intent, error, error);
      }
      multipart = restored.payload;
    }

    let response: CashlinkResponse<unknown>;
    // The heartbeat: the claim is renewed while the call is in flight, so a short lease never runs out
    // behind a slow call (no second sender), yet a dead process's claim ends within one lease.
    const heartbeat = setInterval(
      () => void this.store.renew(key, lease, this.now()).catch(() => undefined),
      Math.max(50, Math.floor(this.options.leaseMs / 3)),
    );
    heartbeat.unref?.();
    try {
      response = await inSpan(
        'cashlink.intent.send',
        () => intentAttributes(intent),
        () =>
          this.http.request<unknown>({
            method: intent.method as 'POST' | 'PATCH',
            path: intent.path,
            json: stored.document ? undefined : stored.json,
            multipart,
            idempotencyKey: key,
            timeoutMs: live.timeoutMs,
            signal: live.signal,
            maxRetries: live.maxRetries,
          }),
      );
    } catch (thrown) {
      const error =
        thrown instanceof Error ? thrown : new CashlinkError('Unknown failure while calling Cashlink');
      const record = errorRecord(error);
      if (error instanceof CashlinkUnreadableAnswerError) {
        // Cashlink answered 2xx: it acted, but we cannot read what it created. A resend would only
        // repeat the same unreadable answer until maxAgeMs; the caller or a human must look it up.
        const expired = new CashlinkIntentExpiredError(
          key,
          `Cashlink accepted it (HTTP ${error.status}) but its answer could not be read; look the object up at Cashlink`,
        );
        return this.expire(intent, expired, error);
      }
      if (isDefinitiveFailure(error)) {
        const settlement: CashlinkIntentSettlement = { state: 'failed', error: record };
        if (await this.settle(intent, lease, settlement)) this.emit(intent, settlement);
        return { state: 'failed', error };
      }
      if (stored.document && intent.unrecoverableReason) {
        // The upload cannot be repeated; its outcome at Cashlink is unknown.
        const expired = new CashlinkIntentExpiredError(
          key,
          `${intent.unrecoverableReason}, and its only attempt failed (${record.className})`,
        );
        return this.expire(intent, expired, error);
      }
      const conflict = error instanceof CashlinkConflictError;
      if (conflict && intent.conflicts + 1 >= this.options.conflictBudget) {
        // A key held for a request still running clears within seconds; one held for another body never
        // does. Retrying until maxAgeMs would hide that for a day: stop and ask a person instead.
        const reason =
          `Cashlink answered 409 to ${intent.conflicts + 1} attempts in a row (idempotency.conflictBudget ${this.options.conflictBudget}): ` +
          'it may hold this key for another request; reconcile it';
        const review = new CashlinkIntentExpiredError(key, reason);
        return this.expire(intent, review, error, 'needs_review');
      }
      const nextAttemptAt = this.now() + this.backoffMs(intent.attempts, error);
      await inSpan(
        'cashlink.intent.settle',
        () => intentAttributes(intent, 'pending'),
        () => this.store.postpone(key, lease, nextAttemptAt, record, this.now(), conflict),
      );
      countIntent('pending', intent.operation);
      this.logger.warn(
        `Intent ${logKey(key)} (${intent.operation}) attempt ${intent.attempts} failed (${record.className}${record.status ? ` ${record.status}` : ''}); pending, next attempt in ${nextAttemptAt - this.now()} ms`,
      );
      return { state: 'pending', error };
    } finally {
      clearInterval(heartbeat);
    }

    // Outside the try: a database error here is not a Cashlink failure. The intent then stays pending
    // with our lease; after it runs out, recovery repeats the call and Cashlink replays this answer.
    const settlement: CashlinkIntentSettlement = {
      state: 'succeeded',
      responseStatus: response.status,
      responseBody: JSON.stringify(response.data ?? null),
    };
    if (await this.settle(intent, lease, settlement)) {
      this.emit(intent, settlement);
    } else {
      // Our lease ran out during the call and another claim (another instance, or another caller here)
      // took the intent; it gets the same answer from Cashlink for the same key and settles it.
      this.logger.warn(
        `Intent ${logKey(key)} succeeded but its lease had passed to another claim (raise idempotency.leaseMs)`,
      );
    }
    return { state: 'succeeded', data: response.data };
  }

  /**
   * The stored outcome of a settled intent, as the original call produced it; for a purged one a
   * `CashlinkIntentPurgedError` (its outcome is gone, and it must never be sent again).
   */
  outcomeOf(intent: CashlinkIntent): AttemptOutcome | undefined {
    if (intent.erasedAt !== null && intent.erasedAt !== undefined && intent.state !== 'pending') {
      const error = new CashlinkIntentErasedError(intent.key, intent.state, new Date(intent.erasedAt));
      return { state: 'expired', error };
    }
    if (intent.purgedAt !== null && intent.state !== 'pending') {
      // Reported like an expiry: the library cannot give the outcome; the caller reconciles.
      const error = new CashlinkIntentPurgedError(intent.key, intent.state, new Date(intent.purgedAt));
      return { state: 'expired', error };
    }
    switch (intent.state) {
      case 'succeeded':
        return { state: 'succeeded', data: parseStoredJson<unknown>(intent.responseBody) ?? null };
      case 'failed':
        return { state: 'failed', error: rebuildError(intent) };
      case 'expired':
      case 'needs_review':
      case 'abandoned':
      case 'replaced': {
        // A resolution by a person also ends here: the key is never sent again; the reason says what
        // was decided (and, for `replaced`, under which key the request went out again).
        const reason =
          parseStoredJson<CashlinkIntentErrorRecord>(intent.lastError)?.reason ??
          intent.unrecoverableReason ??
          'it was not settled within idempotency.maxAgeMs';
        return { state: 'expired', error: new CashlinkIntentExpiredError(intent.key, reason) };
      }
      default:
        return undefined;
    }
  }

  /**
   * Exponential backoff with equal jitter (in [delay/2, delay]: an intent already failed once should
   * not come back almost at once); a 429's `Retry-After` is honoured (up to `maxDelayMs`).
   */
  backoffMs(attempts: number, error?: Error): number {
    const b = this.options.backoff;
    let delay = backoffDelayMs(attempts - 1, { ...b, jitter: b.jitter ? 'equal' : 'none' });
    if (error instanceof CashlinkRateLimitError && error.retryAfterMs !== undefined) {
      delay = Math.max(delay, Math.min(error.retryAfterMs, b.maxDelayMs));
    }
    return delay;
  }

  /** Settles the intent in the store (a span of its own); `true` when this lease still held it. */
  private async settle(
    intent: CashlinkIntent,
    lease: string,
    settlement: CashlinkIntentSettlement,
  ): Promise<boolean> {
    const settled = await inSpan(
      'cashlink.intent.settle',
      () => intentAttributes(intent, settlement.state),
      () => this.store.settle(intent.key, lease, settlement, this.now()),
      { describe: (won) => ({ 'cashlink.intent.lease_held': won }) },
    );
    if (settled) countIntent(settlement.state, intent.operation);
    return settled;
  }

  private async expire(
    intent: CashlinkIntent,
    error: CashlinkIntentExpiredError,
    cause: Error,
    state: 'expired' | 'needs_review' = 'expired',
  ): Promise<AttemptOutcome> {
    const record: CashlinkIntentErrorRecord = { ...errorRecord(cause), reason: error.reason };
    const settlement: CashlinkIntentSettlement = { state, error: record };
    if (await this.settle(intent, intent.leaseOwner ?? '', settlement)) {
      this.logger.warn(
        `Intent ${logKey(intent.key)} (${intent.operation}) ${state === 'expired' ? 'expired' : 'needs review'}: ${error.reason}. It needs reconciliation.`,
      );
      this.emit(intent, settlement);
    }
    // The caller of this attempt gets what actually went wrong (e.g. the 503); the stored outcome for
    // a later repeat is the expiry.
    return { state: 'expired', error: cause };
  }

  /** Emits the settlement event (also for a resolution by a person that settles the intent). */
  emit(intent: CashlinkIntent, settlement: CashlinkIntentSettlement): void {
    if (!this.events) return;
    const event = new IntentSettledEvent(
      intent.key,
      intent.operation,
      settlement.state,
      intent.attempts,
      new Date(this.now()),
      settlement.state === 'succeeded'
        ? { status: settlement.responseStatus, body: JSON.parse(settlement.responseBody) as unknown }
        : undefined,
      settlement.state === 'succeeded' ? undefined : settlement.error,
    );
    const name =
      settlement.state === 'succeeded'
        ? CASHLINK_EVENTS.intentSucceeded
        : settlement.state === 'failed'
          ? CASHLINK_EVENTS.intentFailed
          : CASHLINK_EVENTS.intentExpired;
    try {
      this.events.emit(name, event);
    } catch (error) {
      // A listener's failure must not turn a settled call into an error for the caller.
      this.logger.error(
        `A listener of ${name} threw for intent ${logKey(intent.key)}: ${(error as Error)?.name ?? 'error'}`,
      );
    }
  }
}

/**
 * A definitive failure: Cashlink answered a 4xx that a repeat cannot change. Not definitive:
 * network errors and timeouts (the call may or may not have happened), 409 (the first request with
 * this key is still running, assumed), 429 and 5xx, and 401/403/408 (a token, scope or timing problem
 * on our side: Cashlink did not act, and the same request succeeds once the configuration is fixed),
 * and anything unexpected.
 */
export function isDefinitiveFailure(error: Error): boolean {
  if (error instanceof CashlinkApiError) {
    if (error instanceof CashlinkConflictError || error instanceof CashlinkRateLimitError) return false;
    if (error instanceof CashlinkAuthenticationError || error instanceof CashlinkPermissionError)
      return false;
    return error.status >= 400 && error.status < 500 && error.status !== 408;
  }
  if (error instanceof CashlinkNetworkError) return false;
  // The library's own local errors (document too large or unreadable) happen before anything is
  // accepted by Cashlink and do not change on a repeat. An abort by the caller leaves the intent pending.
  if (error instanceof CashlinkError) return error.name !== 'CashlinkAbortedError';
  return false;
}

/** What is stored of an error: class, message, status and Cashlink's answer body; never headers or tokens. */
export function errorRecord(error: Error): CashlinkIntentErrorRecord {
  const record: CashlinkIntentErrorRecord = { className: error.name, message: error.message };
  if (error instanceof CashlinkApiError) {
    record.status = error.status;
    record.body = error.body;
    if (error.requestId) record.requestId = error.requestId;
    if (error instanceof CashlinkRateLimitError && error.retryAfterMs !== undefined)
      record.retryAfterMs = error.retryAfterMs;
  }
  return record;
}

type ApiErrorClass = new (message: string, details: CashlinkApiErrorDetails) => CashlinkApiError;
const API_ERROR_CLASSES: Record<string, ApiErrorClass> = {
  CashlinkApiError,
  CashlinkAuthenticationError,
  CashlinkPermissionError,
  CashlinkNotFoundError,
  CashlinkConflictError,
  CashlinkPayloadTooLargeError,
  CashlinkServerError,
};

/** The typed error a failed intent ended with, rebuilt from its row (same class, message and details). */
export function rebuildError(intent: CashlinkIntent): Error {
  const record = parseStoredJson<CashlinkIntentErrorRecord>(intent.lastError);
  if (!record)
    return new CashlinkIntentFailedError(
      intent.key,
      'CashlinkError',
      `The write with idempotency key ${intent.key} failed`,
    );
  if (record.status !== undefined) {
    const details: CashlinkApiErrorDetails = {
      status: record.status,
      body: record.body,
      requestId: record.requestId,
      method: intent.method,
      path: intent.path,
      idempotencyKey: intent.key,
    };
    if (record.className === CashlinkValidationError.name) {
      return new CashlinkValidationError(record.message, details, parseFieldErrors(record.body));
    }
    if (record.className === CashlinkRateLimitError.name) {
      return new CashlinkRateLimitError(record.message, details, record.retryAfterMs);
    }
    const Class = API_ERROR_CLASSES[record.className] ?? CashlinkApiError;
    return new Class(record.message, details);
  }
  return new CashlinkIntentFailedError(intent.key, record.className, record.message);
}
