/** Small statistics helpers for the benchmarks (no dependency). */

/** The median of a non-empty list (mean of the two middle values for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The p-th percentile (0..100) of sorted values, nearest-rank. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

/**
 * Runs `worker` in `concurrency` parallel lanes until `total` calls were started or, when given,
 * `maxDurationMs` has passed (whichever comes first); returns elapsed ms and latencies.
 */
export async function runConcurrent(
  total: number,
  concurrency: number,
  worker: (index: number) => Promise<unknown>,
  maxDurationMs = Number.POSITIVE_INFINITY,
): Promise<{ elapsedMs: number; latenciesMs: number[]; errors: number; firstError?: string }> {
  let next = 0;
  let errors = 0;
  let firstError: string | undefined;
  const latenciesMs: number[] = [];
  const started = performance.now();
  const stopAt = started + maxDurationMs;
  const lane = async (): Promise<void> => {
    while (next < total && performance.now() < stopAt) {
      const index = next++;
      const t0 = performance.now();
      try {
        await worker(index);
        latenciesMs.push(performance.now() - t0);
      } catch (error) {
        errors++;
        firstError ??= error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, total) }, lane));
  return { elapsedMs: performance.now() - started, latenciesMs, errors, firstError };
}

/** Throughput summary of one round. */
export interface RoundStats {
  requests: number;
  errors: number;
  elapsedMs: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  firstError?: string;
}

export function summarise(run: {
  elapsedMs: number;
  latenciesMs: number[];
  errors: number;
  firstError?: string;
}): RoundStats {
  const sorted = [...run.latenciesMs].sort((a, b) => a - b);
  return {
    requests: run.latenciesMs.length,
    errors: run.errors,
    elapsedMs: run.elapsedMs,
    rps: (run.latenciesMs.length / run.elapsedMs) * 1000,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    ...(run.firstError ? { firstError: run.firstError } : {}),
  };
}
