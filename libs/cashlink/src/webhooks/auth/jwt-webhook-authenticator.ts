import { createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { extractBearerToken, WebhookAuthenticator, type WebhookAuthResult } from './webhook-authenticator';

export interface JwtWebhookAuthSettings {
  jwksUrl: string;
  issuer: string;
  audience: string[];
  clockToleranceSeconds: number;
}

/** Asymmetric algorithms only: a JWKS publishes public keys; HMAC tokens are never accepted here. */
const ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
];

/**
 * `webhooks.auth.type: 'jwt'`: bearer tokens issued by an external authorisation server that you
 * run, checked against its JWKS (signature, issuer, audience, expiry). Keys are fetched lazily and
 * cached by jose; an unknown `kid` triggers a (rate-limited) refetch, which covers key rotation.
 */
export class JwtWebhookAuthenticator extends WebhookAuthenticator {
  private readonly keys: JWTVerifyGetKey;

  constructor(private readonly settings: JwtWebhookAuthSettings) {
    super();
    this.keys = createRemoteJWKSet(new URL(settings.jwksUrl));
  }

  async authenticate(authorization: string | undefined): Promise<WebhookAuthResult> {
    const token = extractBearerToken(authorization);
    if (token === null) return { ok: false, failure: authorization ? 'invalid_token' : 'missing_token' };
    try {
      await jwtVerify(token, this.keys, {
        algorithms: ALGORITHMS,
        issuer: this.settings.issuer,
        audience: this.settings.audience,
        clockTolerance: this.settings.clockToleranceSeconds,
        requiredClaims: ['exp'],
      });
      return { ok: true };
    } catch (error) {
      // Every verification failure (bad signature, claims, expiry, unknown key) is the caller's
      // problem: 401. A JWKS that cannot be fetched is ours: rethrown, answered 503 so Cashlink retries.
      if (error instanceof joseErrors.JWKSTimeout || error instanceof joseErrors.JWKSInvalid) throw error;
      if (error instanceof joseErrors.JOSEError) return { ok: false, failure: 'invalid_token' };
      throw error;
    }
  }
}
