import {
  CashlinkAuthenticationError,
  CashlinkRateLimitError,
  CashlinkServerError,
} from '../errors/cashlink-api.error';
import { backoffDelayMs } from '../common/backoff';
import { CashlinkNetworkError } from '../errors/cashlink.error';

/** Settings of the backoff (from `http` options). */
export interface RetrySettings {
  maxRetries: number;
  retryBaseDelayMs: number;
  retryMaxDelayMs: number;
  maxRetryAfterMs: number;
}

/** What the transport knows when an attempt failed. */
export interface RetryInput {
  error: unknown;
  /** 0 for the first retry. */
  retriesSoFar: number;
  /** GET, or a write with an idempotency key: Cashlink answers a repeat without a second effect. */
  safeToRepeat: boolean;
  /** False for an upload from a stream: its bytes are gone after the first attempt. */
  bodyReplayable: boolean;
  settings: RetrySettings;
  /** For tests: a number in [0, 1). */
  random?: () => number;
}

export type RetryDecision =
  | { retry: true; delayMs: number }
  | { retry: false; reason: 'not-transient' | 'exhausted' | 'unsafe' | 'not-replayable' };

/**
 * Whether the failure may go away on its own. Network errors and timeouts: the request may not have
 * arrived, or its answer was lost. 429: Cashlink asks to come back. 5xx: Cashlink failed; DRF returns
 * 5xx before committing in most cases, and with an idempotency key a repeat cannot double the effect.
 * A token request that failed for one of these reasons is transient as well. 4xx are definitive.
 */
export function isTransientFailure(error: unknown): boolean {
  if (error instanceof CashlinkNetworkError) return true; // includes CashlinkTimeoutError
  if (error instanceof CashlinkRateLimitError || error instanceof CashlinkServerError) return true;
  if (error instanceof CashlinkAuthenticationError && error.cause !== undefined) {
    return isTransientFailure(error.cause);
  }
  return false;
}

/**
 * The retry rule, as a pure function. Exponential backoff with full jitter (AWS architecture blog:
 * random in [0, min(cap, base * 2^n)]) spreads retries of many clients; a 429 `Retry-After` is honoured
 * as the wait, capped at `maxRetryAfterMs`.
 */
export function decideRetry(input: RetryInput): RetryDecision {
  const { error, retriesSoFar, settings } = input;
  if (!isTransientFailure(error)) return { retry: false, reason: 'not-transient' };
  // A keyless write is never repeated: Cashlink may have acted on it, and a repeat would act twice.
  if (!input.safeToRepeat) return { retry: false, reason: 'unsafe' };
  if (!input.bodyReplayable) return { retry: false, reason: 'not-replayable' };
  if (retriesSoFar >= settings.maxRetries) return { retry: false, reason: 'exhausted' };
  const random = input.random ?? Math.random;
  // A rate-limited token request carries its 429 as the cause.
  const limited = error instanceof CashlinkAuthenticationError ? error.cause : error;
  if (limited instanceof CashlinkRateLimitError && limited.retryAfterMs !== undefined) {
    return { retry: true, delayMs: Math.min(limited.retryAfterMs, settings.maxRetryAfterMs) };
  }
  const delayMs = backoffDelayMs(
    retriesSoFar,
    {
      initialDelayMs: settings.retryBaseDelayMs,
      multiplier: 2,
      maxDelayMs: settings.retryMaxDelayMs,
      jitter: 'full',
    },
    random,
  );
  return { retry: true, delayMs };
}

/** A short note for messages and logs on why a failed request was not repeated. */
export function describeNoRetry(
  reason: Exclude<RetryDecision, { retry: true }>['reason'],
): string | undefined {
  switch (reason) {
    case 'unsafe':
      return 'Not retried: a write without an idempotency key is never repeated, so Cashlink may or may not have processed it.';
    case 'not-replayable':
      return 'Not retried: the upload came from a stream, which cannot be re-read; pass a Buffer or a file path to make uploads retryable.';
    default:
      return undefined;
  }
}
