// Shared by the parent and the app process (kept apart from app-process.ts, which serves IPC
// commands as soon as it is loaded and must only ever run as a child).

/** The bearer token the benchmark's "Cashlink" (the load generator) sends with every webhook. */
export const BENCH_WEBHOOK_TOKEN = 'bench-webhook-token-0123456789abcdef0123456789abcdef';
export const WEBHOOK_PATH = 'cashlink/webhooks';
export const BASELINE_WEBHOOK_PATH = 'bench/webhooks-baseline';

export interface EmulatorInfo {
  baseUrl: string;
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
}
