import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Compares two secrets in time independent of where they differ and of their lengths: both are
 * hashed to the same length first (timingSafeEqual needs equal lengths, and a length check would
 * leak the secret's length).
 */
export function constantTimeEquals(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a, 'utf8').digest();
  const hb = createHash('sha256').update(b, 'utf8').digest();
  return timingSafeEqual(ha, hb);
}

/** True when `candidate` equals any accepted secret; every secret is compared (no early exit). */
export function constantTimeIncludes(accepted: readonly string[], candidate: string): boolean {
  let found = false;
  for (const secret of accepted) {
    if (constantTimeEquals(secret, candidate)) found = true;
  }
  return found;
}
