import { CASHLINK_OPTION_DEFAULTS } from '../resolve-cashlink-options';
import { IDEMPOTENCY_DEFAULTS } from './idempotency.options';
import { longestAttemptMs } from './idempotency.providers';

describe('longestAttemptMs (the start-up check of leaseMs)', () => {
  const http = { ...CASHLINK_OPTION_DEFAULTS.http };

  it('counts failed rounds, token fetches, a 401 replay, and backoff or Retry-After waits', () => {
    // (3 + 4) × 30 s + 3 × max(10 s, 60 s)
    expect(longestAttemptMs(http)).toBe(7 * 30_000 + 3 * 60_000);
  });

  it('a longer Retry-After cap or backoff cap lengthens the attempt', () => {
    expect(longestAttemptMs({ ...http, maxRetryAfterMs: 120_000 })).toBe(7 * 30_000 + 3 * 120_000);
    expect(longestAttemptMs({ ...http, retryMaxDelayMs: 90_000 })).toBe(7 * 30_000 + 3 * 90_000);
    expect(longestAttemptMs({ ...http, maxRetries: 0 })).toBe(4 * 30_000);
  });

  it('the default lease is short (renewed by a heartbeat during the call): a crashed instance is resumed within 10 s', () => {
    expect(IDEMPOTENCY_DEFAULTS.leaseMs + IDEMPOTENCY_DEFAULTS.recovery.intervalMs).toBeLessThan(10_000);
  });
});
