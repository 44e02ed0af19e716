import type { ServerResponse } from 'node:http';
import { Inject, Injectable, Logger, type NestMiddleware, Optional } from '@nestjs/common';
import { WebhookAuthFailureGuard } from './auth/auth-failure-guard';
import { CASHLINK_WEBHOOKS_AUTHENTICATOR } from './webhooks.constants';
import type { WebhookAuthenticator } from './auth/webhook-authenticator';
import { OAuth2WebhookTokenIssuer } from './auth/oauth2-webhook-token.issuer';
import { readRequestBody, sendJson, type WebhookRequest } from './webhook-http';

const MAX_TOKEN_REQUEST_BYTES = 8192;

/**
 * The OAuth 2.0 client-credentials token endpoint (RFC 6749 §4.4) that Cashlink calls with the
 * client id and secret you gave it, before delivering webhooks (`webhooks.auth.type: 'oauth2'`).
 * Form-encoded like Cashlink's own token endpoint; credentials in the body or as HTTP Basic.
 * Called by the controller's token route on the Node request and response, on either platform.
 * assumed: Cashlink sends `grant_type=client_credentials` and ignores `scope` in our answer.
 */
@Injectable()
export class WebhookTokenMiddleware implements NestMiddleware {
  private readonly logger = new Logger('CashlinkWebhooks');

  constructor(
    @Inject(CASHLINK_WEBHOOKS_AUTHENTICATOR) private readonly authenticator: WebhookAuthenticator,
    @Optional() private readonly failures?: WebhookAuthFailureGuard,
  ) {}

  async use(req: WebhookRequest, res: ServerResponse): Promise<void> {
    const issuer = this.authenticator;
    if (!(issuer instanceof OAuth2WebhookTokenIssuer)) {
      sendJson(res, 404, { error: 'not_found' });
      return;
    }
    const client = req.socket.remoteAddress ?? 'unknown';
    const waitMs = this.failures?.blockedForMs(client) ?? 0;
    if (waitMs > 0) {
      // Refused before the body is read or a secret compared: guessing stops costing us anything.
      req.resume();
      sendJson(res, 429, { error: 'too_many_requests' }, { 'Retry-After': String(Math.ceil(waitMs / 1000)) });
      return;
    }
    try {
      const body = await readRequestBody(req, MAX_TOKEN_REQUEST_BYTES);
      if (body.kind === 'too_large') {
        sendJson(res, 413, { error: 'invalid_request' }, { Connection: 'close' });
        return;
      }
      const form = toForm(body);
      let clientId = form.get('client_id');
      let clientSecret = form.get('client_secret');
      let usedBasic = false;
      const basic = /^Basic[ \t]+([A-Za-z0-9+/=]+)$/i.exec(req.headers.authorization ?? '');
      if (basic) {
        // RFC 6749 §2.3.1: id and secret are form-urlencoded, then joined by ':'.
        const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
        const colon = decoded.indexOf(':');
        if (colon > 0) {
          usedBasic = true;
          try {
            clientId = decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, ' '));
            clientSecret = decodeURIComponent(decoded.slice(colon + 1).replace(/\+/g, ' '));
          } catch {
            // Malformed percent-encoding (URIError): the client's fault, answered invalid_client (401) below.
            clientId = null;
            clientSecret = null;
          }
        }
      }
      if (form.get('grant_type') !== 'client_credentials') {
        sendJson(res, 400, { error: 'unsupported_grant_type' });
        return;
      }
      if (!clientId || !clientSecret || !issuer.checkClient(clientId, clientSecret)) {
        this.failures?.failed(client, 'token endpoint: invalid_client', true);
        sendJson(
          res,
          401,
          { error: 'invalid_client' },
          usedBasic ? { 'WWW-Authenticate': 'Basic realm="cashlink-webhooks"' } : {},
        );
        return;
      }
      this.failures?.succeeded(client);
      const scope = form.get('scope') ?? undefined;
      sendJson(res, 200, await issuer.issue(scope || undefined), { Pragma: 'no-cache' });
    } catch (error) {
      this.logger.error(`Webhook token request failed (${error instanceof Error ? error.name : 'error'})`);
      sendJson(res, 500, { error: 'server_error' });
    }
  }
}

function toForm(
  body: { kind: 'raw'; text: string } | { kind: 'parsed'; value: unknown; text: string },
): URLSearchParams {
  if (body.kind === 'raw') return new URLSearchParams(body.text);
  const form = new URLSearchParams();
  if (body.value && typeof body.value === 'object') {
    for (const [key, value] of Object.entries(body.value as Record<string, unknown>)) {
      if (typeof value === 'string') form.set(key, value);
    }
  }
  return form;
}
