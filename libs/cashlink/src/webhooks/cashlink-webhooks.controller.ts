import { Controller, Inject, Post, Req, Res, SetMetadata, VERSION_NEUTRAL, type Type } from '@nestjs/common';
import { traceWebhookReceive } from '../telemetry/cashlink-telemetry';
import { CASHLINK_ROUTE } from './cashlink-route';
import { sendJson, toNodeExchange } from './webhook-http';
import { WebhookReceiverMiddleware } from './webhook-receiver.middleware';
import { WebhookTokenMiddleware } from './webhook-token.middleware';
import type { CashlinkWebhookRoutePaths } from './webhook-routes';
import { CASHLINK_WEBHOOKS_OPTIONS } from './webhooks.constants';
import type { ResolvedWebhooksOptions } from './webhooks.options';

/**
 * Declares the controller of the webhook receiver and its OAuth token endpoint at the given paths.
 *
 * A class per module definition, because a controller's path is part of its class: the paths come
 * from the module extras (or `forRoot`'s options), known before any options factory runs. The
 * handlers take the request and response through `@Req()` / `@Res()` only, so app-wide pipes have
 * no argument to transform, and write the answer themselves, so a response-mapping interceptor
 * has no return value to rewrite. App-wide guards still run: they see `CASHLINK_ROUTE` on these
 * routes (`isCashlinkRoute(context)`). Version-neutral: the URL given to Cashlink must not move
 * when the app turns on versioning.
 */
export function createCashlinkWebhooksController(paths: CashlinkWebhookRoutePaths): Type {
  @SetMetadata(CASHLINK_ROUTE, true)
  @Controller({ version: VERSION_NEUTRAL })
  class CashlinkWebhooksController {
    constructor(
      @Inject(CASHLINK_WEBHOOKS_OPTIONS) private readonly options: ResolvedWebhooksOptions,
      private readonly receiver: WebhookReceiverMiddleware,
      private readonly tokens: WebhookTokenMiddleware,
    ) {}

    /** Cashlink's status-change deliveries. */
    @Post(paths.path)
    async receive(@Req() req: unknown, @Res() res: unknown): Promise<void> {
      const exchange = toNodeExchange(req, res);
      if (!this.options.enabled || !this.options.auth) {
        sendJson(exchange.res, 404, { error: 'not_found' });
        return;
      }
      await traceWebhookReceive(paths.path, async () => {
        await this.receiver.use(exchange.req, exchange.res);
        return exchange.res.statusCode;
      });
    }

    /** The OAuth client-credentials token endpoint (`webhooks.auth.type: 'oauth2'`; 404 otherwise). */
    @Post(paths.tokenPath)
    async token(@Req() req: unknown, @Res() res: unknown): Promise<void> {
      const exchange = toNodeExchange(req, res);
      if (!this.options.enabled || this.options.auth?.type !== 'oauth2') {
        sendJson(exchange.res, 404, { error: 'not_found' });
        return;
      }
      await this.tokens.use(exchange.req, exchange.res);
    }
  }
  return CashlinkWebhooksController;
}
