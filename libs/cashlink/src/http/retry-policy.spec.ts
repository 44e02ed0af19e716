import {
  CashlinkAuthenticationError,
  CashlinkNotFoundError,
  CashlinkRateLimitError,
  CashlinkServerError,
  CashlinkValidationError,
} from '../errors/cashlink-api.error';
import { CashlinkNetworkError, CashlinkTimeoutError } from '../errors/cashlink.error';
import { decideRetry, describeNoRetry, isTransientFailure, type RetryInput } from './retry-policy';

const details = (status: number) => ({ status, body: undefined, method: 'GET', path: '/v2/x/' });
const settings = { maxRetries: 3, retryBaseDelayMs: 100, retryMaxDelayMs: 1000, maxRetryAfterMs: 5000 };
const input = (error: unknown, overrides: Partial<RetryInput> = {}): RetryInput => ({
  error,
  retriesSoFar: 0,
  safeToRepeat: true,
  bodyReplayable: true,
  settings,
  random: () => 0.999999,
  ...overrides,
});

describe('retry policy', () => {
  it('treats network errors, timeouts, 429 and 5xx as transient, 4xx as definitive', () => {
    expect(isTransientFailure(new CashlinkNetworkError('x', 'GET', '/'))).toBe(true);
    expect(isTransientFailure(new CashlinkTimeoutError('x', 'GET', '/'))).toBe(true);
    expect(isTransientFailure(new CashlinkRateLimitError('x', details(429)))).toBe(true);
    expect(isTransientFailure(new CashlinkServerError('x', details(503)))).toBe(true);
    expect(isTransientFailure(new CashlinkValidationError('x', details(400), {}))).toBe(false);
    expect(isTransientFailure(new CashlinkNotFoundError('x', details(404)))).toBe(false);
    expect(isTransientFailure(new Error('bug'))).toBe(false);
  });

  it('follows the cause of a failed token request', () => {
    const transient = new CashlinkAuthenticationError('x', details(0), {
      cause: new CashlinkNetworkError('x', 'POST', '/token'),
    });
    const definitive = new CashlinkAuthenticationError('x', details(401));
    expect(isTransientFailure(transient)).toBe(true);
    expect(isTransientFailure(definitive)).toBe(false);
  });

  it('backs off exponentially with full jitter, capped', () => {
    const server = new CashlinkServerError('x', details(503));
    const ceilings = [0, 1, 2, 3, 4].map(
      (n) =>
        (
          decideRetry(input(server, { retriesSoFar: n, settings: { ...settings, maxRetries: 10 } })) as {
            delayMs: number;
          }
        ).delayMs,
    );
    expect(ceilings).toEqual([99, 199, 399, 799, 999]);
    const low = decideRetry(input(server, { random: () => 0 }));
    expect(low).toEqual({ retry: true, delayMs: 0 });
  });

  it('honours Retry-After, capped at maxRetryAfterMs', () => {
    expect(decideRetry(input(new CashlinkRateLimitError('x', details(429), 2000)))).toEqual({
      retry: true,
      delayMs: 2000,
    });
    expect(decideRetry(input(new CashlinkRateLimitError('x', details(429), 60_000)))).toEqual({
      retry: true,
      delayMs: 5000,
    });
  });

  it('honours Retry-After of a rate-limited token request', () => {
    const error = new CashlinkAuthenticationError('x', details(429), {
      cause: new CashlinkRateLimitError('x', details(429), 3000),
    });
    expect(decideRetry(input(error))).toEqual({ retry: true, delayMs: 3000 });
  });

  it('stops after maxRetries', () => {
    expect(decideRetry(input(new CashlinkServerError('x', details(500)), { retriesSoFar: 3 }))).toEqual({
      retry: false,
      reason: 'exhausted',
    });
  });

  it('never repeats a write without an idempotency key', () => {
    const decision = decideRetry(input(new CashlinkNetworkError('x', 'POST', '/'), { safeToRepeat: false }));
    expect(decision).toEqual({ retry: false, reason: 'unsafe' });
    expect(describeNoRetry('unsafe')).toMatch(/without an idempotency key/);
  });

  it('does not repeat an upload from a stream, and says why', () => {
    const decision = decideRetry(
      input(new CashlinkServerError('x', details(503)), { bodyReplayable: false }),
    );
    expect(decision).toEqual({ retry: false, reason: 'not-replayable' });
    expect(describeNoRetry('not-replayable')).toMatch(/stream, which cannot be re-read/);
  });

  it('does not retry definitive errors', () => {
    expect(decideRetry(input(new CashlinkNotFoundError('x', details(404))))).toEqual({
      retry: false,
      reason: 'not-transient',
    });
    expect(describeNoRetry('not-transient')).toBeUndefined();
  });
});
