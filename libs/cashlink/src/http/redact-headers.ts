import { logKey } from '../common/log-key';

const SENSITIVE = new Set(['authorization', 'proxy-authorization', 'cookie', 'set-cookie']);
/** The app's own key may be an e-mail address or a customer number: logged as its short hash. */
const HASHED = new Set(['x-idempotency-key']);

/** A copy of `headers` safe to log: credentials replaced by `[redacted]`, the idempotency key hashed. */
export function redactHeaders(headers: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    out[name] = SENSITIVE.has(lower)
      ? '[redacted]'
      : HASHED.has(lower) && typeof value === 'string'
        ? logKey(value)
        : value;
  }
  return out;
}
