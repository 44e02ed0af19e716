import type {
  CashlinkIdempotencyOptions,
  ResolvedIdempotencyOptions,
} from './idempotency/idempotency.options';
import type { CashlinkClientOptions, ResolvedClientOptions } from './options/client-options';
import type { CashlinkWebhooksOptions, ResolvedWebhooksOptions } from './webhooks/webhooks.options';

/**
 * Options of `CashlinkModule.forRoot()` / the factory of `forRootAsync()`: the client core's options
 * and each feature's section. Only the module sees them whole; each feature receives its own slice.
 */
export interface CashlinkModuleOptions extends CashlinkClientOptions {
  /**
   * Durable idempotent writes (needs `persistence`). `false` sends writes with a key but stores nothing.
   * See README "Durable idempotency".
   */
  idempotency?: CashlinkIdempotencyOptions | false;
  /**
   * The webhook receiver. `false` or absent mounts nothing. See README "Webhooks".
   * @default false
   */
  webhooks?: CashlinkWebhooksOptions | false;
}

/** The options after defaults are merged and validated: what `CASHLINK_OPTIONS` provides (to the module only). */
export interface ResolvedCashlinkOptions extends ResolvedClientOptions {
  idempotency: ResolvedIdempotencyOptions;
  webhooks: ResolvedWebhooksOptions;
}
