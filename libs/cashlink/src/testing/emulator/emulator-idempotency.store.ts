import { createHash } from 'node:crypto';

interface StoredKey {
  fingerprint: string;
  state: 'in_flight' | 'done';
  status?: number;
  body?: unknown;
}

/** What the store says about an incoming request with an idempotency key. */
export type IdempotencyDecision =
  | { kind: 'new' }
  | { kind: 'replay'; status: number; body: unknown }
  | { kind: 'conflict'; reason: 'different_request' | 'in_flight' };

/** Sorts object keys so that the fingerprint does not depend on key order. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value as Record<string, unknown>)
        .sort()
        .map((k) => [k, canonical((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

/** Fingerprint of a JSON request: method, path and the canonical body. */
export function jsonFingerprint(method: string, path: string, body: unknown): string {
  return createHash('sha256')
    .update(`${method} ${path}\n${JSON.stringify(canonical(body) ?? null)}`)
    .digest('hex');
}

/** Fingerprint of a multipart upload: method, path, file hash and file name. */
export function fileFingerprint(method: string, path: string, sha256: string, filename: string): string {
  return createHash('sha256').update(`${method} ${path}\n${sha256}\n${filename}`).digest('hex');
}

/**
 * `X-Idempotency-Key` handling (contract §2): the first request with a key is remembered with its
 * answer; a repeat gets the stored status and body; another request under the same key, or a repeat
 * while the first is still running, is a conflict. Keys are kept until `reset()` or `forgetAll()`.
 */
export class EmulatorIdempotencyStore {
  private readonly keys = new Map<string, StoredKey>();
  private readonly effects = new Map<string, number>();

  /** Decides and, for a new key, reserves it as in flight. */
  begin(key: string, fingerprint: string): IdempotencyDecision {
    const stored = this.keys.get(key);
    if (!stored) {
      this.keys.set(key, { fingerprint, state: 'in_flight' });
      return { kind: 'new' };
    }
    if (stored.fingerprint !== fingerprint) return { kind: 'conflict', reason: 'different_request' };
    if (stored.state === 'in_flight') return { kind: 'conflict', reason: 'in_flight' };
    return { kind: 'replay', status: stored.status!, body: stored.body };
  }

  /** Stores the answer of the first request. */
  complete(key: string, status: number, body: unknown): void {
    const stored = this.keys.get(key);
    if (stored) {
      stored.state = 'done';
      stored.status = status;
      stored.body = body;
    }
  }

  /** Releases a reservation whose request did not finish (the key can be used again). */
  abandon(key: string): void {
    if (this.keys.get(key)?.state === 'in_flight') this.keys.delete(key);
  }

  /** Counts one effect produced under `key`. */
  countEffect(key: string): void {
    this.effects.set(key, (this.effects.get(key) ?? 0) + 1);
  }

  effectsByKey(): Record<string, number> {
    return Object.fromEntries(this.effects);
  }

  /** Forgets stored keys (as Cashlink may after its retention period); effect counts stay. */
  forgetAll(): void {
    for (const [key, stored] of this.keys) if (stored.state === 'done') this.keys.delete(key);
  }

  reset(): void {
    this.keys.clear();
    this.effects.clear();
  }
}
