import { Inject, Module, Optional, type Provider } from '@nestjs/common';
import { CashlinkAuthService } from './auth/cashlink-auth.service';
import { CashlinkTokenClient } from './auth/token-client';
import {
  CASHLINK_CLIENT_OPTIONS,
  CASHLINK_DURABLE_WRITE_EXECUTOR,
  CASHLINK_OPTIONS,
} from './cashlink.constants';
import { CASHLINK_MODULE_OPTIONS, CashlinkConfigurableModuleClass } from './cashlink.module-definition';
import { UndiciCashlinkTransport } from './transport/undici-transport';
import { CashlinkHttpClient } from './http/cashlink-http.client';
import { CashlinkTransport } from './transport/cashlink-transport';
import { CashlinkWriteExecutor } from './http/cashlink-write-executor';
import { DirectWriteExecutor } from './http/direct-write-executor';
import { CashlinkMoneyService } from './money/cashlink-money.service';
import type { CashlinkModuleOptions, ResolvedCashlinkOptions } from './cashlink-module-options.interface';
import { clientOptionsOf, resolveCashlinkOptions } from './resolve-cashlink-options';
import { CashlinkPaginator } from './pagination/cashlink-paginator';
import { CashlinkCampaignsService } from './resources/cashlink-campaigns.service';
import { CashlinkDocumentsService } from './resources/cashlink-documents.service';
import { CashlinkInvestmentsService } from './resources/cashlink-investments.service';
import { CashlinkInvestorsService } from './resources/cashlink-investors.service';
import { CashlinkProductsService } from './resources/cashlink-products.service';
import { CashlinkConfigError } from './errors/cashlink.error';
import { CASHLINK_WEBHOOKS_OPTIONS } from './webhooks/webhooks.constants';
import type { ResolvedWebhooksOptions } from './webhooks/webhooks.options';
import {
  CASHLINK_WEBHOOKS_ROUTE_PATHS,
  routePathProblems,
  type CashlinkWebhookRoutePaths,
} from './webhooks/webhook-routes';

const PUBLIC_SERVICES = [
  CashlinkAuthService,
  CashlinkInvestorsService,
  CashlinkInvestmentsService,
  CashlinkProductsService,
  CashlinkCampaignsService,
  CashlinkDocumentsService,
  CashlinkMoneyService,
];

const providers: Provider[] = [
  // Validated once, at start-up: a bad configuration fails the boot with every problem listed.
  {
    provide: CASHLINK_OPTIONS,
    useFactory: (raw: CashlinkModuleOptions): ResolvedCashlinkOptions => resolveCashlinkOptions(raw),
    inject: [CASHLINK_MODULE_OPTIONS],
  },
  // The client core's slice: what auth, the HTTP client, pagination and the resources receive.
  { provide: CASHLINK_CLIENT_OPTIONS, useFactory: clientOptionsOf, inject: [CASHLINK_OPTIONS] },
  // The only provider that knows the HTTP client (undici); everything else depends on the abstract transport.
  { provide: CashlinkTransport, useClass: UndiciCashlinkTransport },
  CashlinkTokenClient,
  CashlinkHttpClient,
  CashlinkPaginator,
  DirectWriteExecutor,
  // The write seam. The idempotency feature provides CASHLINK_DURABLE_WRITE_EXECUTOR (in
  // IDEMPOTENCY_PROVIDERS, added only with `persistence`); it is used when `idempotency` is enabled.
  // Without it (persistence: false, or idempotency: false) writes go out directly, with a key.
  {
    provide: CashlinkWriteExecutor,
    useFactory: (
      options: ResolvedCashlinkOptions,
      direct: DirectWriteExecutor,
      durable?: CashlinkWriteExecutor,
    ): CashlinkWriteExecutor => (options.idempotency.enabled && durable ? durable : direct),
    inject: [
      CASHLINK_OPTIONS,
      DirectWriteExecutor,
      { token: CASHLINK_DURABLE_WRITE_EXECUTOR, optional: true },
    ],
  },
  ...PUBLIC_SERVICES,
];

/**
 * The Cashlink client for a Nest app: `CashlinkModule.forRoot(options)` or
 * `CashlinkModule.forRootAsync({ imports, inject, useFactory })`, with extras `isGlobal`,
 * `dataSource` and `persistence` (see `CashlinkModuleExtras`).
 */
@Module({
  providers,
  // Only the public services: the options, the transport and the write seam are internals (the
  // idempotency and webhook providers that need them live in this same module).
  exports: PUBLIC_SERVICES,
})
export class CashlinkModule extends CashlinkConfigurableModuleClass {
  constructor(
    // Provided only with persistence (WEBHOOK_PROVIDERS): without an inbox nothing is mounted.
    @Optional() @Inject(CASHLINK_WEBHOOKS_OPTIONS) webhooks?: ResolvedWebhooksOptions,
    @Optional() @Inject(CASHLINK_OPTIONS) options?: ResolvedCashlinkOptions,
    @Optional() @Inject(CASHLINK_WEBHOOKS_ROUTE_PATHS) routes?: CashlinkWebhookRoutePaths,
    @Optional() @Inject(CASHLINK_MODULE_OPTIONS) raw?: CashlinkModuleOptions,
  ) {
    super();
    if (options?.webhooks.enabled && !webhooks) {
      throw new CashlinkConfigError([
        'webhooks need persistence (an inbox table): remove `persistence: false`, or set `webhooks: false`.',
      ]);
    }
    // The routes were declared before a forRootAsync factory ran: a path it names must match them.
    const problems = routes && options?.webhooks.enabled ? routePathProblems(routes, raw?.webhooks) : [];
    if (problems.length > 0) throw new CashlinkConfigError(problems);
  }
}
