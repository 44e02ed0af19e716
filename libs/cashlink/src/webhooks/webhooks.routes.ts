import { RequestMethod, type MiddlewareConsumer } from '@nestjs/common';
import { WebhookReceiverMiddleware } from './webhook-receiver.middleware';
import { WebhookTokenMiddleware } from './webhook-token.middleware';
import type { ResolvedWebhooksOptions } from './webhooks.options';

/**
 * Mounts the webhook receiver (and, for OAuth, its token endpoint) when webhooks are enabled.
 * Called from `CashlinkModule.configure()`, which runs after the (possibly async) options were
 * resolved, so `forRootAsync` can set the path too.
 */
export function applyCashlinkWebhookRoutes(
  consumer: MiddlewareConsumer,
  options: ResolvedWebhooksOptions,
): void {
  if (!options.enabled || !options.auth) return;
  if (options.auth.type === 'oauth2') {
    consumer
      .apply(WebhookTokenMiddleware)
      .forRoutes({ path: options.auth.tokenPath, method: RequestMethod.POST });
  }
  consumer.apply(WebhookReceiverMiddleware).forRoutes({ path: options.path, method: RequestMethod.POST });
}
