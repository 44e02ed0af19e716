import type {
  CashlinkIdempotencyOptions,
  ResolvedIdempotencyOptions,
} from './idempotency/idempotency.options';
import type { CashlinkClientOptions, ResolvedClientOptions } from './options/client-options';
import type { CashlinkEventsOptions, ResolvedEventsOptions } from './event-log/event-log.options';
import type {
  CashlinkEncryptionOptions,
  CashlinkPersonalDataOptions,
  ResolvedProtectionOptions,
} from './protection/protection.options';
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
  /**
   * Delivery of the durable event log to `@OnCashlinkEvent` handlers (needs `persistence`). See
   * docs/webhooks-and-events.md.
   */
  events?: CashlinkEventsOptions;
  /**
   * Encryption at rest (AES-256-GCM) of every stored value that can carry investor data. Required
   * whenever persistence is on: a key ring `{ keys, activeKeyId }`, or `false` to store those values in
   * clear (start-up then warns at every boot). See docs/personal-data.md.
   * @default none: with persistence on, start-up fails until it is set
   */
  encryption?: CashlinkEncryptionOptions | false;
  /**
   * Retention of personal data in rows kept for their keys or for inspection (expired and failed
   * intents, dead and quarantined webhook rows). See docs/personal-data.md.
   * @default { retentionMs: 7776000000 (90 days), retentionIntervalMs: 3600000 (1 hour) }
   */
  personalData?: CashlinkPersonalDataOptions;
}

/** The options after defaults are merged and validated: what `CASHLINK_OPTIONS` provides (to the module only). */
export interface ResolvedCashlinkOptions extends ResolvedClientOptions {
  idempotency: ResolvedIdempotencyOptions;
  webhooks: ResolvedWebhooksOptions;
  events: ResolvedEventsOptions;
  protection: ResolvedProtectionOptions;
}
