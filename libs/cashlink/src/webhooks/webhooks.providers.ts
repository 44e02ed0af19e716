// What CashlinkModule registers for the webhook receiver.
import type { Provider, Type } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { ProtectionCodec } from '../protection/protection-codec';
import { CashlinkInvestmentsService } from '../resources/cashlink-investments.service';
import { WebhookAuthFailureGuard } from './auth/auth-failure-guard';
import { createWebhookAuthenticator } from './auth/webhook-authenticator.factory';
import { CashlinkWebhooksService } from './cashlink-webhooks.service';
import { WebhookDispatcher, type WebhookInvestmentFetcher } from './webhook-dispatcher.service';
import { WebhookInboxEntity } from './webhook-inbox.entity';
import { WebhookInboxStore } from './webhook-inbox.store';
import { WebhookReceiverMiddleware } from './webhook-receiver.middleware';
import { WebhookReceiverService } from './webhook-receiver.service';
import { WebhookTokenMiddleware } from './webhook-token.middleware';
import {
  CASHLINK_WEBHOOKS_AUTHENTICATOR,
  CASHLINK_WEBHOOKS_DATA_SOURCE,
  CASHLINK_WEBHOOKS_INVESTMENT_FETCHER,
  CASHLINK_WEBHOOKS_OPTIONS,
} from './webhooks.constants';
import type { ResolvedWebhooksOptions } from './webhooks.options';

/** TypeORM entities of the webhooks feature, registered on the host's DataSource. */
export const WEBHOOK_ENTITIES: Type[] = [WebhookInboxEntity];

/**
 * The webhook providers that do not depend on the Cashlink client, given the resolved webhooks
 * options and the DataSource under `CASHLINK_WEBHOOKS_DATA_SOURCE` (also used by tests).
 */
export const WEBHOOK_CORE_PROVIDERS: Provider[] = [
  {
    provide: WebhookInboxStore,
    // The codec is absent only where tests assemble these providers without the module.
    useFactory: (dataSource: DataSource, codec?: ProtectionCodec) => new WebhookInboxStore(dataSource, codec),
    inject: [CASHLINK_WEBHOOKS_DATA_SOURCE, { token: ProtectionCodec, optional: true }],
  },
  {
    provide: CASHLINK_WEBHOOKS_AUTHENTICATOR,
    useFactory: (options: ResolvedWebhooksOptions) =>
      options.auth ? createWebhookAuthenticator(options.auth) : null,
    inject: [CASHLINK_WEBHOOKS_OPTIONS],
  },
  {
    provide: WebhookAuthFailureGuard,
    useFactory: (options: ResolvedWebhooksOptions) =>
      new WebhookAuthFailureGuard(options.auth?.type === 'oauth2' ? options.auth.throttle : false),
    inject: [CASHLINK_WEBHOOKS_OPTIONS],
  },
  WebhookDispatcher,
  WebhookReceiverService,
  // The HTTP handlers behind the controller (`createCashlinkWebhooksController`).
  WebhookReceiverMiddleware,
  WebhookTokenMiddleware,
  CashlinkWebhooksService,
];

/**
 * Nest providers of the webhooks feature (added to CashlinkModule when persistence is on; the
 * module also provides `CASHLINK_WEBHOOKS_DATA_SOURCE` for the configured DataSource).
 */
export const WEBHOOK_PROVIDERS: Provider[] = [
  {
    provide: CASHLINK_WEBHOOKS_INVESTMENT_FETCHER,
    useFactory:
      (investments: CashlinkInvestmentsService): WebhookInvestmentFetcher =>
      (id) =>
        investments.get(id),
    inject: [CashlinkInvestmentsService],
  },
  ...WEBHOOK_CORE_PROVIDERS,
];

/** Services of the webhooks feature that CashlinkModule exports to the app. */
export const WEBHOOK_EXPORTS: Type[] = [CashlinkWebhooksService];
