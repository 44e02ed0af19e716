import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** Name of the cookie holding the browser's CSRF nonce. */
export const CSRF_COOKIE = 'cashlink_ops_csrf';

/** Reads one cookie from a Cookie header (no cookie-parser needed). */
export function readCookie(header: string | string[] | undefined, name: string): string | undefined {
  const text = Array.isArray(header) ? header.join(';') : (header ?? '');
  for (const part of text.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return undefined;
}

/**
 * Signed double-submit tokens: the browser holds a random nonce in an HttpOnly, SameSite=Strict cookie,
 * every form carries HMAC(secret, nonce). Another site can neither read the token nor, without our
 * secret, make a matching pair by planting a cookie (e.g. from a sibling subdomain).
 */
export class OpsCsrf {
  constructor(private readonly secret: Buffer) {}

  newNonce(): string {
    return randomBytes(32).toString('base64url');
  }

  tokenFor(nonce: string): string {
    return createHmac('sha256', this.secret).update(nonce).digest('base64url');
  }

  /** True when `token` is the token of `nonce`. */
  verify(nonce: string | undefined, token: unknown): boolean {
    if (!nonce || typeof token !== 'string' || token.length === 0) return false;
    const expected = Buffer.from(this.tokenFor(nonce));
    const given = Buffer.from(token);
    return expected.length === given.length && timingSafeEqual(expected, given);
  }
}
