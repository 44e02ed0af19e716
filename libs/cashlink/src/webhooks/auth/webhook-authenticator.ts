/** Why a webhook request was refused (RFC 6750 error codes). */
export type WebhookAuthFailure = 'missing_token' | 'invalid_token';

export type WebhookAuthResult = { ok: true } | { ok: false; failure: WebhookAuthFailure };

/** The realm named in `WWW-Authenticate` challenges. */
export const WEBHOOK_AUTH_REALM = 'cashlink-webhooks';

/**
 * Checks the credentials of an incoming webhook before anything else is done with the request.
 * One implementation per `webhooks.auth.type`.
 */
export abstract class WebhookAuthenticator {
  /** Checks a raw `Authorization` header value. Never throws for bad input. */
  abstract authenticate(authorization: string | undefined): Promise<WebhookAuthResult>;

  /** The `WWW-Authenticate` value for a refusal (RFC 6750 §3). */
  challenge(failure: WebhookAuthFailure): string {
    return failure === 'missing_token'
      ? `Bearer realm="${WEBHOOK_AUTH_REALM}"`
      : `Bearer realm="${WEBHOOK_AUTH_REALM}", error="invalid_token"`;
  }
}

/**
 * RFC 6750 §2.1 `b64token` (RFC 7235 `token68`): the only characters a Bearer header can carry.
 * A configured token outside it could never authenticate, so options validation uses it too.
 */
export const BEARER_TOKEN_SYNTAX = /^[A-Za-z0-9\-._~+/]+=*$/;

/** The token of an `Authorization: Bearer <token>` header, or null. */
export function extractBearerToken(authorization: string | undefined): string | null {
  if (!authorization) return null;
  const match = /^Bearer[ \t]+([A-Za-z0-9\-._~+/]+=*)[ \t]*$/i.exec(authorization);
  return match ? (match[1] ?? null) : null;
}
