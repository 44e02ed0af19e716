/**
 * A small HTTP load generator on `node:http` (autocannon is not installed, and `npm install` is not
 * allowed here): `connections` closed loops, each sending its next request as soon as the previous
 * answer was read, over a keep-alive `http.Agent` with `maxSockets = connections`. Counts requests
 * per second over the measured window and the p50/p99 latency of each request.
 */
import { Agent, request } from 'node:http';
import { percentile } from './stats';

export interface LoadOptions {
  url: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  /** The body of the i-th request (unique bodies: every webhook is a new change). */
  body?: (index: number) => string;
  connections: number;
  /** How long to measure. */
  durationMs: number;
  /** Requests sent before measuring (not counted), to warm connections and JIT. */
  warmupRequests?: number;
  /** Status the target should answer; others count as errors. */
  expectStatus?: number;
}

export interface LoadResult {
  requests: number;
  errors: number;
  elapsedMs: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  statuses: Record<string, number>;
}

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: options.connections });
  const url = new URL(options.url);
  let index = 0;
  const send = (): Promise<number> =>
    new Promise((resolve, reject) => {
      const body = options.body?.(index++);
      const headers: Record<string, string | number> = { ...options.headers };
      if (body !== undefined) {
        headers['content-type'] ??= 'application/json';
        headers['content-length'] = Buffer.byteLength(body);
      }
      const req = request(
        {
          agent,
          host: url.hostname,
          port: url.port,
          path: `${url.pathname}${url.search}`,
          method: options.method ?? (body === undefined ? 'GET' : 'POST'),
          headers,
        },
        (res) => {
          res.resume();
          res.once('end', () => resolve(res.statusCode ?? 0));
          res.once('error', reject);
        },
      );
      req.once('error', reject);
      req.end(body);
    });

  try {
    const warmup = options.warmupRequests ?? options.connections * 4;
    let warmed = 0;
    await Promise.all(
      Array.from({ length: options.connections }, async () => {
        while (warmed < warmup) {
          warmed++;
          await send().catch(() => 0);
        }
      }),
    );

    const latencies: number[] = [];
    const statuses: Record<string, number> = {};
    let errors = 0;
    const started = performance.now();
    const stopAt = started + options.durationMs;
    await Promise.all(
      Array.from({ length: options.connections }, async () => {
        while (performance.now() < stopAt) {
          const t0 = performance.now();
          let status: number | string;
          try {
            status = await send();
          } catch (error) {
            status = error instanceof Error ? ((error as NodeJS.ErrnoException).code ?? error.name) : 'error';
          }
          statuses[status] = (statuses[status] ?? 0) + 1;
          if (status === (options.expectStatus ?? status) && typeof status === 'number' && status < 400) {
            latencies.push(performance.now() - t0);
          } else {
            errors++;
          }
        }
      }),
    );
    const elapsedMs = performance.now() - started;
    latencies.sort((a, b) => a - b);
    return {
      requests: latencies.length,
      errors,
      elapsedMs,
      rps: (latencies.length / elapsedMs) * 1000,
      p50Ms: percentile(latencies, 50),
      p99Ms: percentile(latencies, 99),
      statuses,
    };
  } finally {
    agent.destroy();
  }
}
