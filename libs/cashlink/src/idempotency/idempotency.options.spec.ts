import { IDEMPOTENCY_DEFAULTS, resolveIdempotencyOptions } from './idempotency.options';

describe('resolveIdempotencyOptions', () => {
  it('merges the defaults (23 h max age, below the assumed 24 h key retention)', () => {
    const problems: string[] = [];
    const resolved = resolveIdempotencyOptions(undefined, problems);
    expect(problems).toEqual([]);
    expect(resolved).toMatchObject({
      enabled: true,
      maxAgeMs: 23 * 60 * 60 * 1000,
      leaseMs: IDEMPOTENCY_DEFAULTS.leaseMs,
      backoff: IDEMPOTENCY_DEFAULTS.backoff,
      recovery: IDEMPOTENCY_DEFAULTS.recovery,
      retentionMs: IDEMPOTENCY_DEFAULTS.retentionMs,
      documentBytesLimit: 10 * 1024 * 1024,
    });
    expect(resolved.instanceId).toMatch(new RegExp(`:${process.pid}:`));
  });

  it('false disables intents', () => {
    expect(resolveIdempotencyOptions(false, [])).toMatchObject({ enabled: false, recovery: false });
  });

  it('keeps given values and switches recovery and retention off', () => {
    const problems: string[] = [];
    const resolved = resolveIdempotencyOptions(
      {
        maxAgeMs: 1000,
        leaseMs: 500,
        recovery: false,
        retentionMs: false,
        backoff: { initialDelayMs: 5 },
        instanceId: 'a',
      },
      problems,
    );
    expect(problems).toEqual([]);
    expect(resolved).toMatchObject({
      maxAgeMs: 1000,
      leaseMs: 500,
      recovery: false,
      retentionMs: false,
      instanceId: 'a',
      backoff: { ...IDEMPOTENCY_DEFAULTS.backoff, initialDelayMs: 5 },
    });
  });

  it('names every invalid option in one line each', () => {
    const problems: string[] = [];
    resolveIdempotencyOptions(
      {
        maxAgeMs: -1,
        leaseMs: 1.5,
        backoff: { initialDelayMs: 100, maxDelayMs: 10, multiplier: 0.5 },
        recovery: { intervalMs: 0, batchSize: 0, concurrency: Number.NaN },
        retentionMs: 10,
        documentBytesLimit: -5,
        instanceId: '',
      },
      problems,
    );
    expect(problems).toEqual([
      expect.stringMatching(/^idempotency\.maxAgeMs: must be a whole number >= 1/),
      expect.stringMatching(/^idempotency\.leaseMs: must be a whole number >= 100 \(default 5000\)/),
      expect.stringMatching(/^idempotency\.backoff\.multiplier: must be a number >= 1/),
      expect.stringMatching(
        /^idempotency\.backoff\.maxDelayMs: must be at least idempotency\.backoff\.initialDelayMs \(100\)/,
      ),
      expect.stringMatching(/^idempotency\.recovery\.intervalMs/),
      expect.stringMatching(/^idempotency\.recovery\.batchSize/),
      expect.stringMatching(/^idempotency\.recovery\.concurrency/),
      expect.stringMatching(/^idempotency\.retentionMs: must be at least idempotency\.maxAgeMs/),
      expect.stringMatching(/^idempotency\.documentBytesLimit/),
      expect.stringMatching(/^idempotency\.instanceId/),
    ]);
  });

  it('rejects a non-object', () => {
    const problems: string[] = [];
    resolveIdempotencyOptions('yes' as never, problems);
    expect(problems).toEqual(['idempotency: must be an object or false (or omitted for the defaults)']);
  });
});
