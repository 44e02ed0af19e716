/**
 * How a computed delay is randomized so that many clients do not retry in lockstep:
 * - `full`: random in [0, delay) — spreads retries the most (AWS architecture blog, "full jitter");
 * - `equal`: random in [delay/2, delay] — still spread, but never much shorter than planned;
 * - `none`: exactly the delay.
 */
export type BackoffJitter = 'full' | 'equal' | 'none';

/** The shape of an exponential backoff. */
export interface BackoffSettings {
  /** Delay before the first repeat (step 0), in ms. */
  initialDelayMs: number;
  /** Growth factor per step. */
  multiplier: number;
  /** Upper bound of the computed delay (before jitter), in ms. */
  maxDelayMs: number;
  jitter: BackoffJitter;
}

/**
 * Delay in whole ms before repeat number `step` (0-based): `min(maxDelayMs, initialDelayMs ×
 * multiplier^step)`, randomized by `jitter`. `random` is injectable for tests.
 */
export function backoffDelayMs(
  step: number,
  settings: BackoffSettings,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(
    settings.maxDelayMs,
    settings.initialDelayMs * settings.multiplier ** Math.max(0, step),
  );
  switch (settings.jitter) {
    case 'full':
      // Rounded down, so that the delay stays below the cap.
      return Math.floor(random() * ceiling);
    case 'equal':
      return Math.round(ceiling / 2 + random() * (ceiling / 2));
    default:
      return Math.round(ceiling);
  }
}
