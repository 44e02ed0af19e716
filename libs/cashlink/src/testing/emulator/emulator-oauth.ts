import type { IncomingMessage } from 'node:http';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { EmulatorHttpError, detailError, mediaType } from './emulator-http';

interface IssuedToken {
  scopes: ReadonlySet<string>;
  expiresAtMs: number;
}

/** Settings of the emulator's OAuth client-credentials endpoint. */
export interface EmulatorOAuthSettings {
  clientId: string;
  clientSecret: string;
  /** Scopes the client may obtain; also what it gets when it asks for none. */
  allowedScopes: readonly string[];
  tokenLifetimeSeconds: number;
}

function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

function oauthError(status: number, error: string, detail: string): EmulatorHttpError {
  // RFC 6749 §5.2 shape plus DRF's `detail`, so that either kind of client reads it.
  return new EmulatorHttpError(status, { error, error_description: detail, detail });
}

/** Issues and checks bearer tokens (opaque random strings held in memory). */
export class EmulatorOAuth {
  private readonly tokens = new Map<string, IssuedToken>();
  private requestCount = 0;

  constructor(private readonly settings: EmulatorOAuthSettings) {}

  get tokenRequests(): number {
    return this.requestCount;
  }

  resetCounters(): void {
    this.requestCount = 0;
  }

  /** Counts a token request (also the ones a fault answers). */
  countRequest(): void {
    this.requestCount += 1;
  }

  /** Handles `POST /oauth/token` with a form-encoded body; returns the token response. */
  issue(req: IncomingMessage, raw: Buffer): Record<string, unknown> {
    if (mediaType(req) !== 'application/x-www-form-urlencoded') {
      throw oauthError(
        400,
        'invalid_request',
        'Send the token request as application/x-www-form-urlencoded.',
      );
    }
    const form = new URLSearchParams(raw.toString('utf8'));
    let clientId = form.get('client_id') ?? undefined;
    let clientSecret = form.get('client_secret') ?? undefined;
    const authorization = req.headers.authorization;
    if (authorization?.toLowerCase().startsWith('basic ')) {
      const decoded = Buffer.from(authorization.slice(6).trim(), 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon >= 0) {
        clientId = decodeURIComponent(decoded.slice(0, colon));
        clientSecret = decodeURIComponent(decoded.slice(colon + 1));
      }
    }
    if (
      clientId === undefined ||
      clientSecret === undefined ||
      !safeEqual(clientId, this.settings.clientId) ||
      !safeEqual(clientSecret, this.settings.clientSecret)
    ) {
      throw oauthError(401, 'invalid_client', 'Client authentication failed.');
    }
    if (form.get('grant_type') !== 'client_credentials') {
      throw oauthError(400, 'unsupported_grant_type', 'Only grant_type=client_credentials is supported.');
    }
    const requested = (form.get('scope') ?? '').split(' ').filter((s) => s.length > 0);
    const unknown = requested.filter((s) => !this.settings.allowedScopes.includes(s));
    if (unknown.length > 0) {
      throw oauthError(400, 'invalid_scope', `Scope not allowed for this client: ${unknown.join(' ')}`);
    }
    const scopes = requested.length > 0 ? requested : [...this.settings.allowedScopes];
    const token = `emu_${randomBytes(24).toString('hex')}`;
    this.tokens.set(token, {
      scopes: new Set(scopes),
      expiresAtMs: Date.now() + this.settings.tokenLifetimeSeconds * 1000,
    });
    return {
      access_token: token,
      token_type: 'Bearer',
      expires_in: this.settings.tokenLifetimeSeconds,
      scope: scopes.join(' '),
    };
  }

  /** Checks the bearer token (401) and the scope the endpoint needs (403). */
  authorize(req: IncomingMessage, scope: string): void {
    const header = req.headers.authorization;
    const challenge = { 'WWW-Authenticate': 'Bearer realm="api"' };
    if (!header || !header.toLowerCase().startsWith('bearer ')) {
      throw detailError(401, 'Authentication credentials were not provided.', challenge);
    }
    const issued = this.tokens.get(header.slice(7).trim());
    if (!issued) {
      throw detailError(401, 'Invalid token.', challenge);
    }
    if (issued.expiresAtMs <= Date.now()) {
      throw detailError(401, 'Token has expired.', challenge);
    }
    if (!issued.scopes.has(scope)) {
      throw detailError(403, `You do not have permission to perform this action (scope ${scope} required).`);
    }
  }

  /** Every token issued so far stops working now; new tokens work. */
  expireAll(): void {
    for (const issued of this.tokens.values()) issued.expiresAtMs = 0;
  }
}
