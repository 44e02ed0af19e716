import { hkdfSync, randomUUID } from 'node:crypto';
import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import { constantTimeEquals } from './constant-time';
import { extractBearerToken, WebhookAuthenticator, type WebhookAuthResult } from './webhook-authenticator';

const ISSUER = 'nestjs-cashlink';
const ALGORITHM = 'HS256';

export interface OAuth2WebhookTokenSettings {
  clientId: string;
  clientSecret: string;
  signingSecret: string;
  tokenTtlSeconds: number;
}

/** A token endpoint answer (RFC 6749 §5.1). */
export interface OAuth2TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  scope?: string;
}

/**
 * `webhooks.auth.type: 'oauth2'`: issues and checks the short-lived tokens that Cashlink obtains
 * with the client credentials you gave it.
 *
 * Tokens are stateless HS256 JWTs. The signing key is derived (HKDF-SHA256) from the configured
 * secret, so every instance with the same configuration accepts every token, without shared state.
 * The audience binds a token to the client id, so a token minted for another configuration with
 * the same secret is refused.
 */
export class OAuth2WebhookTokenIssuer extends WebhookAuthenticator {
  // #private fields: logging or serialising the issuer never shows the secrets or the derived key.
  readonly #key: Uint8Array;
  readonly #settings: OAuth2WebhookTokenSettings;
  private readonly audience: string;

  constructor(settings: OAuth2WebhookTokenSettings) {
    super();
    this.#settings = settings;
    this.#key = new Uint8Array(
      hkdfSync('sha256', settings.signingSecret, 'nestjs-cashlink', 'webhook-oauth2-access-token', 32),
    );
    this.audience = `cashlink-webhooks:${settings.clientId}`;
  }

  /** Whether the client credentials are the configured ones (constant time). */
  checkClient(clientId: string, clientSecret: string): boolean {
    const idOk = constantTimeEquals(clientId, this.#settings.clientId);
    const secretOk = constantTimeEquals(clientSecret, this.#settings.clientSecret);
    return idOk && secretOk;
  }

  /** Issues a token valid for `tokenTtlSeconds` from `nowMs`. */
  async issue(scope?: string, nowMs = Date.now()): Promise<OAuth2TokenResponse> {
    const iat = Math.floor(nowMs / 1000);
    const ttl = this.#settings.tokenTtlSeconds;
    const jwt = new SignJWT(scope ? { scope } : {})
      .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT' })
      .setIssuer(ISSUER)
      .setAudience(this.audience)
      .setSubject(this.#settings.clientId)
      .setIssuedAt(iat)
      .setExpirationTime(iat + ttl)
      .setJti(randomUUID());
    const accessToken = await jwt.sign(this.#key);
    return { access_token: accessToken, token_type: 'Bearer', expires_in: ttl, ...(scope ? { scope } : {}) };
  }

  async authenticate(authorization: string | undefined): Promise<WebhookAuthResult> {
    const token = extractBearerToken(authorization);
    if (token === null) return { ok: false, failure: authorization ? 'invalid_token' : 'missing_token' };
    try {
      await jwtVerify(token, this.#key, {
        algorithms: [ALGORITHM],
        issuer: ISSUER,
        audience: this.audience,
        subject: this.#settings.clientId,
        requiredClaims: ['exp', 'iat'],
      });
      return { ok: true };
    } catch (error) {
      if (error instanceof joseErrors.JOSEError) return { ok: false, failure: 'invalid_token' };
      throw error;
    }
  }
}
