import { backoffDelayMs, type BackoffSettings } from './backoff';

const settings = (jitter: BackoffSettings['jitter']): BackoffSettings => ({
  initialDelayMs: 1000,
  multiplier: 2,
  maxDelayMs: 5000,
  jitter,
});

describe('backoffDelayMs', () => {
  it('grows by the multiplier per step and stops at maxDelayMs', () => {
    expect([0, 1, 2, 3, 10].map((step) => backoffDelayMs(step, settings('none')))).toEqual([
      1000, 2000, 4000, 5000, 5000,
    ]);
  });

  it('full jitter: random in [0, delay), rounded down', () => {
    expect(backoffDelayMs(1, settings('full'), () => 0)).toBe(0);
    expect(backoffDelayMs(1, settings('full'), () => 0.5)).toBe(1000);
    expect(backoffDelayMs(1, settings('full'), () => 0.9999)).toBe(1999);
  });

  it('equal jitter: random in [delay/2, delay]', () => {
    expect(backoffDelayMs(1, settings('equal'), () => 0)).toBe(1000);
    expect(backoffDelayMs(1, settings('equal'), () => 0.5)).toBe(1500);
    expect(backoffDelayMs(1, settings('equal'), () => 0.9999)).toBe(2000);
  });

  it('treats a negative step as the first one', () => {
    expect(backoffDelayMs(-1, settings('none'))).toBe(1000);
  });
});
