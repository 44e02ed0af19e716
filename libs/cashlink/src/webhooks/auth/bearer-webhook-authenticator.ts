import { constantTimeIncludes } from './constant-time';
import { extractBearerToken, WebhookAuthenticator, type WebhookAuthResult } from './webhook-authenticator';

/** `webhooks.auth.type: 'bearer'`: the static tokens you gave Cashlink (several during a rotation). */
export class BearerWebhookAuthenticator extends WebhookAuthenticator {
  // A #private field: logging or serialising the authenticator never shows the tokens.
  readonly #tokens: readonly string[];

  constructor(tokens: readonly string[]) {
    super();
    this.#tokens = tokens;
  }

  async authenticate(authorization: string | undefined): Promise<WebhookAuthResult> {
    const token = extractBearerToken(authorization);
    if (token === null) return { ok: false, failure: authorization ? 'invalid_token' : 'missing_token' };
    return constantTimeIncludes(this.#tokens, token) ? { ok: true } : { ok: false, failure: 'invalid_token' };
  }
}
