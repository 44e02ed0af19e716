import { constantTimeIncludes } from './constant-time';
import { extractBearerToken, WebhookAuthenticator, type WebhookAuthResult } from './webhook-authenticator';

/** `webhooks.auth.type: 'bearer'`: the static tokens you gave Cashlink (several during a rotation). */
export class BearerWebhookAuthenticator extends WebhookAuthenticator {
  constructor(private readonly tokens: readonly string[]) {
    super();
  }

  async authenticate(authorization: string | undefined): Promise<WebhookAuthResult> {
    const token = extractBearerToken(authorization);
    if (token === null) return { ok: false, failure: authorization ? 'invalid_token' : 'missing_token' };
    return constantTimeIncludes(this.tokens, token) ? { ok: true } : { ok: false, failure: 'invalid_token' };
  }
}
