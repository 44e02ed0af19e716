import type { ServerResponse } from 'node:http';
import { Inject, Injectable, Logger, type NestMiddleware, Optional } from '@nestjs/common';
import { WebhookAuthFailureGuard } from './auth/auth-failure-guard';
import { CASHLINK_WEBHOOKS_AUTHENTICATOR, CASHLINK_WEBHOOKS_OPTIONS } from './webhooks.constants';
import type { WebhookAuthenticator } from './auth/webhook-authenticator';
import { readRequestBody, sendJson, sendReceipt, type WebhookRequest } from './webhook-http';
import { WebhookReceiverService } from './webhook-receiver.service';
import type { ResolvedWebhooksOptions } from './webhooks.options';

/**
 * The HTTP handling of the webhook receiver, called by the controller's POST route on the Node
 * request and response (Express's own, or those under Fastify's), so that it answers the same on
 * both platforms. Errors become HTTP statuses here and only here:
 * 401 (+ `WWW-Authenticate`) for credentials, 413 too large, 400 not JSON, 503 when the inbox
 * cannot be written (Cashlink retries), 200 once the change is committed.
 */
@Injectable()
export class WebhookReceiverMiddleware implements NestMiddleware {
  private readonly logger = new Logger('CashlinkWebhooks');

  constructor(
    @Inject(CASHLINK_WEBHOOKS_AUTHENTICATOR) private readonly authenticator: WebhookAuthenticator,
    @Inject(CASHLINK_WEBHOOKS_OPTIONS) private readonly options: ResolvedWebhooksOptions,
    private readonly receiver: WebhookReceiverService,
    @Optional() private readonly failures?: WebhookAuthFailureGuard,
  ) {}

  async use(req: WebhookRequest, res: ServerResponse): Promise<void> {
    try {
      const auth = await this.authenticator.authenticate(req.headers.authorization);
      if (!auth.ok) {
        this.failures?.failed(req.socket.remoteAddress ?? 'unknown', `receiver: ${auth.failure}`, false);
        sendJson(
          res,
          401,
          { error: auth.failure === 'missing_token' ? 'unauthorized' : 'invalid_token' },
          {
            'WWW-Authenticate': this.authenticator.challenge(auth.failure),
          },
        );
        return;
      }
      const body = await readRequestBody(req, this.options.maxBodyBytes);
      if (body.kind === 'too_large') {
        sendJson(
          res,
          413,
          { error: 'payload_too_large', max_bytes: this.options.maxBodyBytes },
          { Connection: 'close' },
        );
        return;
      }
      let value: unknown;
      if (body.kind === 'parsed') {
        value = body.value;
      } else {
        try {
          value = JSON.parse(body.text);
        } catch {
          sendJson(res, 400, { error: 'invalid_json' });
          return;
        }
      }
      const receipt = await this.receiver.receive(value, body.text);
      sendReceipt(res, receipt.outcome);
    } catch (error) {
      // The change was not stored (or, rarely, committed but not known to be on disk): a non-2xx makes
      // Cashlink deliver it again later.
      this.logger.error(
        `Webhook not stored (${error instanceof Error ? error.name : 'error'}); answered 503`,
      );
      sendJson(res, 503, { error: 'unavailable' }, { 'Retry-After': '5' });
    }
  }
}
