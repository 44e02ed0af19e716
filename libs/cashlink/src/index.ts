// nestjs-cashlink: the one curated public entry. Export only what users may rely on.
export const CASHLINK_LIBRARY_NAME = 'nestjs-cashlink';

// Money (exact wire money <-> dinero.js bigint)
export { CashlinkMoneyService } from './money/cashlink-money.service';
export { CashlinkMoneyError, type CashlinkMoneyErrorCode } from './money/cashlink-money.error';
export {
  type CashlinkMoney,
  CASHLINK_MONEY_MAX_AMOUNT_DIGITS,
  CASHLINK_MONEY_MAX_DECIMALS,
} from './money/cashlink-money.types';
export {
  addMoney,
  type CashlinkDinero,
  type CashlinkMoneyComparison,
  compareMoney,
  formatMoney,
  moneyEquals,
  moneyFromDecimalString,
  moneyFromDinero,
  moneyToDecimalString,
  moneyToDinero,
  subtractMoney,
} from './money/cashlink-money.functions';
export { assertWireMoney, isWireMoney } from './money/cashlink-money.validation';

// Client core: module, options, services, wire types, errors, pagination
export { CashlinkModule } from './cashlink.module';
export { type CashlinkModuleExtras } from './cashlink.module-definition';
export { CASHLINK_DEFAULT_SCOPES, CASHLINK_ENVIRONMENTS } from './cashlink.constants';
export type { CashlinkModuleOptions } from './cashlink-module-options.interface';
export type {
  CashlinkAuthOptions,
  CashlinkClientOptions,
  CashlinkDocumentsOptions,
  CashlinkEnvironment,
  CashlinkHttpOptions,
  CashlinkTokenAuthMethod,
} from './options/client-options';
export { CashlinkAuthService } from './auth/cashlink-auth.service';
export { CashlinkInvestorsService } from './resources/cashlink-investors.service';
export { CashlinkInvestmentsService } from './resources/cashlink-investments.service';
export { CashlinkProductsService } from './resources/cashlink-products.service';
export { CashlinkCampaignsService } from './resources/cashlink-campaigns.service';
export {
  CashlinkDocumentsService,
  type CashlinkDocument,
  type CashlinkDocumentFile,
} from './resources/cashlink-documents.service';
export type * from './resources/cashlink-investors.types';
export type * from './resources/cashlink-investments.types';
export type * from './resources/cashlink-products.types';
export type { CashlinkWriteOptions } from './http/cashlink-write-executor';
export type { CashlinkListQuery, CashlinkRequestOptions, Page } from './pagination/page';
export {
  CashlinkError,
  CashlinkConfigError,
  CashlinkNetworkError,
  CashlinkTimeoutError,
  IdempotencyConflictError,
} from './errors/cashlink.error';
export {
  CashlinkApiError,
  type CashlinkApiErrorDetails,
  CashlinkAuthenticationError,
  CashlinkConflictError,
  type CashlinkFieldErrors,
  CashlinkNotFoundError,
  CashlinkPayloadTooLargeError,
  CashlinkPermissionError,
  CashlinkRateLimitError,
  CashlinkServerError,
  CashlinkUnreadableAnswerError,
  CashlinkValidationError,
} from './errors/cashlink-api.error';
export {
  CashlinkAbortedError,
  CashlinkDocumentTooLargeError,
  CashlinkUnsafeUrlError,
} from './errors/cashlink-client.error';
export { CASHLINK_EVENTS } from './events/cashlink-events.constants';
// Persistence: add these to the host DataSource's `migrations` (the demo's ormconfig.ts does).
export { CASHLINK_MIGRATIONS } from './migrations/index';

// Durable idempotency: options, intents service, settlement events and errors
export type {
  CashlinkIdempotencyOptions,
  CashlinkIntentBackoffOptions,
  CashlinkIntentRecoveryOptions,
} from './idempotency/idempotency.options';
export {
  CashlinkIntentsService,
  type CashlinkIntentRecoverySummary,
  type CashlinkIntentView,
} from './idempotency/cashlink-intents.service';
export {
  CASHLINK_INTENT_STATES,
  type CashlinkIntentErrorRecord,
  type CashlinkIntentState,
} from './idempotency/cashlink-intent.entity';
// Reconciliation of unknown outcomes (expired / needs_review intents) by a person
export { CashlinkReconciliationService } from './idempotency/cashlink-reconciliation.service';
export type {
  CashlinkIntentResolutionAction,
  CashlinkIntentResolutionView,
  CashlinkReconcileCandidate,
  CashlinkReconcileOptions,
  CashlinkReconciliation,
  CashlinkResolutionInput,
  CashlinkResolutionResult,
} from './idempotency/cashlink-reconciliation.types';
export {
  CashlinkIntentNotAwaitingResolutionError,
  CashlinkIntentNotFoundError,
  CashlinkReconcileCandidateError,
  CashlinkReconcileUnsupportedError,
  CashlinkResolutionInputError,
} from './idempotency/cashlink-reconciliation.error';
export { IntentSettledEvent } from './idempotency/intent-settled.event';
export { IntentResolvedEvent } from './idempotency/intent-resolved.event';
export {
  CashlinkIntentExpiredError,
  CashlinkIntentFailedError,
  CashlinkIntentInProgressError,
  CashlinkIntentErasedError,
  CashlinkIntentPurgedError,
  CashlinkIntentRolledBackError,
} from './idempotency/cashlink-intent.error';

// Personal data: encryption at rest, key rotation, erasure, retention (docs/personal-data.md)
export type { CashlinkEncryptionOptions, CashlinkPersonalDataOptions } from './protection/protection.options';
export {
  CashlinkDataProtectionService,
  type CashlinkReencryptSummary,
  type CashlinkRetentionSummary,
} from './protection/cashlink-data-protection.service';
export { CashlinkDecryptionError } from './protection/protection-codec';
export { logKey } from './common/log-key';

// Webhooks: receiver options, events and their payloads, inbox inspection and re-dispatch
export type {
  CashlinkWebhooksAuthOptions,
  CashlinkWebhooksBackoffOptions,
  CashlinkWebhooksBearerAuth,
  CashlinkWebhooksDispatchOptions,
  CashlinkWebhooksJwtAuth,
  CashlinkWebhooksOAuth2Auth,
  CashlinkWebhooksOptions,
} from './webhooks/webhooks.options';
export { CASHLINK_ROUTE, isCashlinkRoute } from './webhooks/cashlink-route';
export { CashlinkWebhooksService, type CashlinkWebhookRecord } from './webhooks/cashlink-webhooks.service';
export type { WebhookInboxState } from './webhooks/webhook-inbox.entity';
export { InvestmentStatusChangedEvent } from './events/investment-status-changed.event';
export { WebhookQuarantinedEvent } from './events/webhook-quarantined.event';
export { WebhookDeadEvent } from './events/webhook-dead.event';

// Durable event log: handlers with their own delivery state, transactional (exactly once) or not
export { OnCashlinkEvent, type OnCashlinkEventOptions } from './events/on-cashlink-event.decorator';
export {
  CashlinkEventsService,
  type CashlinkEventRecord,
  type CashlinkDeliveryRecord,
} from './event-log/cashlink-events.service';
export type {
  CashlinkEventState,
  CashlinkEventSource,
  CashlinkDeliveryState,
} from './event-log/cashlink-event.entity';
export type { CashlinkEventsOptions } from './event-log/event-log.options';
