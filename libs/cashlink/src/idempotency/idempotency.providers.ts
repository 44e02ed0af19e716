import { Logger, type Provider, type Type } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import type { DataSource } from 'typeorm';
import { CASHLINK_CLIENT_OPTIONS, CASHLINK_DURABLE_WRITE_EXECUTOR } from '../cashlink.constants';
import { CashlinkHttpClient } from '../http/cashlink-http.client';
import type { ResolvedClientOptions } from '../options/client-options';
import { ProtectionCodec } from '../protection/protection-codec';
import { CashlinkIntent } from './cashlink-intent.entity';
import { CashlinkIntentResolution } from './cashlink-intent-resolution.entity';
import { CashlinkReconciliationService } from './cashlink-reconciliation.service';
import { CashlinkIntentRecoveryWorker } from './cashlink-intent-recovery.worker';
import { CashlinkIntentRunner } from './cashlink-intent.runner';
import { CashlinkIntentStore } from './cashlink-intent.store';
import { CashlinkIntentsService } from './cashlink-intents.service';
import { DurableWriteExecutor } from './durable-write.executor';
import { CASHLINK_IDEMPOTENCY_OPTIONS, CASHLINK_INTENTS_DATA_SOURCE } from './idempotency.constants';
import type { ResolvedIdempotencyOptions } from './idempotency.options';
import { IntentTransactionHooks } from './intent-transaction.hooks';

/** TypeORM entities of the idempotency feature, registered on the host's DataSource. */
export const IDEMPOTENCY_ENTITIES: Type[] = [CashlinkIntent, CashlinkIntentResolution];

/**
 * Nest providers of the idempotency feature (added to CashlinkModule when persistence is on). They
 * need `CASHLINK_INTENTS_DATA_SOURCE` (the module aliases it to the host's DataSource), `CASHLINK_IDEMPOTENCY_OPTIONS`, `CASHLINK_CLIENT_OPTIONS`,
 * `CashlinkHttpClient` and, optionally, `EventEmitter2`. The durable executor is provided under
 * `CASHLINK_DURABLE_WRITE_EXECUTOR`; the module binds `CashlinkWriteExecutor` to it when
 * `idempotency` is enabled.
 */
export const IDEMPOTENCY_PROVIDERS: Provider[] = [
  {
    provide: CashlinkIntentStore,
    useFactory: (dataSource: DataSource, options: ResolvedIdempotencyOptions, codec: ProtectionCodec) =>
      new CashlinkIntentStore(dataSource, options.leaseMs, codec),
    inject: [CASHLINK_INTENTS_DATA_SOURCE, CASHLINK_IDEMPOTENCY_OPTIONS, ProtectionCodec],
  },
  {
    provide: IntentTransactionHooks,
    useFactory: (dataSource: DataSource) => {
      const hooks = new IntentTransactionHooks();
      hooks.attach(dataSource);
      return hooks;
    },
    inject: [CASHLINK_INTENTS_DATA_SOURCE],
  },
  {
    provide: CashlinkIntentRunner,
    useFactory: (
      store: CashlinkIntentStore,
      http: CashlinkHttpClient,
      options: ResolvedIdempotencyOptions,
      client: ResolvedClientOptions,
      events: EventEmitter2 | undefined,
    ) => {
      warnIfLeaseTooShort(options);
      return new CashlinkIntentRunner(store, http, options, events);
    },
    inject: [
      CashlinkIntentStore,
      CashlinkHttpClient,
      CASHLINK_IDEMPOTENCY_OPTIONS,
      CASHLINK_CLIENT_OPTIONS,
      { token: EventEmitter2, optional: true },
    ],
  },
  {
    provide: CASHLINK_DURABLE_WRITE_EXECUTOR,
    useFactory: (
      store: CashlinkIntentStore,
      runner: CashlinkIntentRunner,
      hooks: IntentTransactionHooks,
      options: ResolvedIdempotencyOptions,
    ) => new DurableWriteExecutor(store, runner, hooks, options),
    inject: [CashlinkIntentStore, CashlinkIntentRunner, IntentTransactionHooks, CASHLINK_IDEMPOTENCY_OPTIONS],
  },
  {
    provide: CashlinkIntentsService,
    useFactory: (
      store: CashlinkIntentStore,
      runner: CashlinkIntentRunner,
      options: ResolvedIdempotencyOptions,
    ) => new CashlinkIntentsService(store, runner, options),
    inject: [CashlinkIntentStore, CashlinkIntentRunner, CASHLINK_IDEMPOTENCY_OPTIONS],
  },
  {
    provide: CashlinkReconciliationService,
    useFactory: (
      store: CashlinkIntentStore,
      runner: CashlinkIntentRunner,
      http: CashlinkHttpClient,
      options: ResolvedIdempotencyOptions,
      events: EventEmitter2 | undefined,
    ) => new CashlinkReconciliationService(store, runner, http, options.leaseMs, events),
    inject: [
      CashlinkIntentStore,
      CashlinkIntentRunner,
      CashlinkHttpClient,
      CASHLINK_IDEMPOTENCY_OPTIONS,
      { token: EventEmitter2, optional: true },
    ],
  },
  {
    provide: CashlinkIntentRecoveryWorker,
    useFactory: (intents: CashlinkIntentsService, options: ResolvedIdempotencyOptions) =>
      new CashlinkIntentRecoveryWorker(intents, options),
    inject: [CashlinkIntentsService, CASHLINK_IDEMPOTENCY_OPTIONS],
  },
];

/** Services of the idempotency feature the module exports to the host. */
export const IDEMPOTENCY_EXPORTS = [CashlinkIntentsService, CashlinkReconciliationService];

/**
 * The longest one attempt of an intent can take with the module's `http` options: every counted round
 * (first try plus `maxRetries`) ends in a failed token fetch or API call of up to `timeoutMs`; on top,
 * up to two slow but successful token fetches (the first, and the one after a 401) and the call that
 * was answered 401 and replayed once; and `maxRetries` waits, each up to the larger of
 * `retryMaxDelayMs` (backoff) and `maxRetryAfterMs` (a 429's `Retry-After`). A per-call `timeoutMs` or
 * `maxRetries` cannot be known here: size `leaseMs` for the largest you pass.
 */
export function longestAttemptMs(http: ResolvedClientOptions['http']): number {
  const calls = http.maxRetries + 1 + 2 + 1;
  const waits = http.maxRetries * Math.max(http.retryMaxDelayMs, http.maxRetryAfterMs);
  return calls * http.timeoutMs + waits;
}

/**
 * The lease no longer has to outlast an attempt: the runner renews it every third of `leaseMs` while
 * the call is in flight. A lease shorter than three renewals' worth of a slow database round trip would
 * still let it lapse, hence this floor.
 */
function warnIfLeaseTooShort(idempotency: ResolvedIdempotencyOptions): void {
  if (!idempotency.enabled) return;
  if (idempotency.leaseMs < 1_000) {
    new Logger('CashlinkIntents').warn(
      `idempotency.leaseMs (${idempotency.leaseMs} ms) is renewed every ${Math.floor(idempotency.leaseMs / 3)} ms while a call is in flight; ` +
        'a database round trip slower than that lets the lease lapse and another instance resend the intent (Cashlink answers it 409). Use at least 1000 ms.',
    );
  }
}
