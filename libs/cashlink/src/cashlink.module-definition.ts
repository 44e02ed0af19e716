import { ConfigurableModuleBuilder, type DynamicModule, type ValueProvider } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { getDataSourceToken, TypeOrmModule } from '@nestjs/typeorm';
import { CASHLINK_EVENTS_OPTIONS } from './event-log/event-log.constants';
import { EVENT_LOG_EXPORTS, EVENT_LOG_PROVIDERS } from './event-log/event-log.providers';
import {
  CASHLINK_IDEMPOTENCY_OPTIONS,
  CASHLINK_INTENTS_DATA_SOURCE,
} from './idempotency/idempotency.constants';
import {
  IDEMPOTENCY_ENTITIES,
  IDEMPOTENCY_EXPORTS,
  IDEMPOTENCY_PROVIDERS,
} from './idempotency/idempotency.providers';
import { CASHLINK_OPTIONS } from './cashlink.constants';
import type { CashlinkModuleOptions, ResolvedCashlinkOptions } from './cashlink-module-options.interface';
import { createCashlinkWebhooksController } from './webhooks/cashlink-webhooks.controller';
import { CASHLINK_WEBHOOKS_ROUTE_PATHS, webhookRoutePaths } from './webhooks/webhook-routes';
import {
  PROTECTION_ENTITIES,
  PROTECTION_EXPORTS,
  PROTECTION_PROVIDERS,
} from './protection/protection.providers';
import {
  CASHLINK_PROTECTION_DATA_SOURCE,
  CASHLINK_PROTECTION_OPTIONS,
} from './protection/protection.constants';
import { CASHLINK_WEBHOOKS_DATA_SOURCE, CASHLINK_WEBHOOKS_OPTIONS } from './webhooks/webhooks.constants';
import { WEBHOOK_ENTITIES, WEBHOOK_EXPORTS, WEBHOOK_PROVIDERS } from './webhooks/webhooks.providers';

/** Options of `forRoot` / `forRootAsync` that shape the module itself (known before any factory runs). */
export interface CashlinkModuleExtras {
  /**
   * Register the module globally, so that feature modules inject its services without importing it.
   * @default false
   */
  isGlobal?: boolean;
  /**
   * Name of the host's TypeORM DataSource that holds the library's tables (intents, webhook inbox).
   * @default the default DataSource
   */
  dataSource?: string;
  /**
   * Register the library's entities (`TypeOrmModule.forFeature`) and its durable providers (intents,
   * webhook inbox). `false` needs no TypeORM at all: writes are then sent directly with an idempotency
   * key and nothing is stored; the webhook receiver is not mounted.
   * @default true
   */
  persistence?: boolean;
  /**
   * Path of the webhook receiver's route (relative to the app root; a global prefix applies). A
   * controller's path is fixed when the module is defined, so with `forRootAsync` the path is set
   * here, not by the factory (`forRoot` also takes `webhooks.path`). The route answers 404 while
   * `webhooks` is off.
   * @default 'cashlink/webhooks'
   */
  webhooksPath?: string;
  /**
   * Path of the OAuth token endpoint (`webhooks.auth.type: 'oauth2'`), like `webhooksPath`
   * (`forRoot` also takes `webhooks.auth.tokenPath`). Answers 404 with another auth type.
   * @default `${webhooksPath}/oauth/token`
   */
  webhooksTokenPath?: string;
}

export const {
  ConfigurableModuleClass: CashlinkConfigurableModuleClass,
  MODULE_OPTIONS_TOKEN: CASHLINK_MODULE_OPTIONS,
  OPTIONS_TYPE: CASHLINK_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: CASHLINK_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<CashlinkModuleOptions>({ moduleName: 'Cashlink' })
  .setClassMethodName('forRoot')
  .setFactoryMethodName('createCashlinkOptions')
  // Every extra is listed (dataSource too, though undefined): Nest strips only listed keys from the
  // options object that `forRoot` receives.
  .setExtras<CashlinkModuleExtras>(
    {
      isGlobal: false,
      persistence: true,
      dataSource: undefined,
      webhooksPath: undefined,
      webhooksTokenPath: undefined,
    },
    addPersistence,
  )
  .build();

/** Adds what only exists with persistence: the entities, the durable providers and the webhook controller. */
function addPersistence(definition: DynamicModule, extras: CashlinkModuleExtras): DynamicModule {
  const module: DynamicModule = { ...definition, global: extras.isGlobal ?? false };
  if (extras.persistence === false) return module;
  const entities = [...IDEMPOTENCY_ENTITIES, ...WEBHOOK_ENTITIES, ...PROTECTION_ENTITIES];
  // With forRoot the options are a value already; with forRootAsync only the extras are known here.
  const syncOptions = (module.providers ?? []).find(
    (p): p is ValueProvider =>
      typeof p === 'object' && 'provide' in p && p.provide === CASHLINK_MODULE_OPTIONS && 'useValue' in p,
  )?.useValue;
  const routes = webhookRoutePaths(extras, syncOptions);
  return {
    ...module,
    imports: [
      ...(module.imports ?? []),
      ...(entities.length > 0 ? [TypeOrmModule.forFeature(entities, extras.dataSource)] : []),
      // Finds the app's @OnCashlinkEvent handlers.
      DiscoveryModule,
    ],
    providers: [
      ...(module.providers ?? []),
      // The intents table lives on the DataSource named by the `dataSource` extra.
      { provide: CASHLINK_INTENTS_DATA_SOURCE, useExisting: getDataSourceToken(extras.dataSource) },
      // Each feature receives its own slice of the resolved options; only the module sees them whole.
      {
        provide: CASHLINK_IDEMPOTENCY_OPTIONS,
        useFactory: (options: ResolvedCashlinkOptions) => options.idempotency,
        inject: [CASHLINK_OPTIONS],
      },
      ...IDEMPOTENCY_PROVIDERS,
      // The webhook inbox lives on the DataSource named by the `dataSource` extra.
      { provide: CASHLINK_WEBHOOKS_DATA_SOURCE, useExisting: getDataSourceToken(extras.dataSource) },
      {
        provide: CASHLINK_WEBHOOKS_OPTIONS,
        useFactory: (options: ResolvedCashlinkOptions) => options.webhooks,
        inject: [CASHLINK_OPTIONS],
      },
      ...WEBHOOK_PROVIDERS,
      { provide: CASHLINK_WEBHOOKS_ROUTE_PATHS, useValue: routes },
      // The event log lives on the same DataSource (its triggers read the inbox and intents tables).
      {
        provide: CASHLINK_EVENTS_OPTIONS,
        useFactory: (options: ResolvedCashlinkOptions) => options.events,
        inject: [CASHLINK_OPTIONS],
      },
      ...EVENT_LOG_PROVIDERS,
      // Encryption at rest, erasure and retention of the stored personal data, on the same DataSource.
      { provide: CASHLINK_PROTECTION_DATA_SOURCE, useExisting: getDataSourceToken(extras.dataSource) },
      {
        provide: CASHLINK_PROTECTION_OPTIONS,
        useFactory: (options: ResolvedCashlinkOptions) => options.protection,
        inject: [CASHLINK_OPTIONS],
      },
      ...PROTECTION_PROVIDERS,
    ],
    controllers: [...(module.controllers ?? []), createCashlinkWebhooksController(routes)],
    exports: [
      ...(module.exports ?? []),
      ...IDEMPOTENCY_EXPORTS,
      ...WEBHOOK_EXPORTS,
      ...EVENT_LOG_EXPORTS,
      ...PROTECTION_EXPORTS,
    ],
  };
}
