/**
 * Names of the events the library emits through `EventEmitter2` (the host app imports
 * `EventEmitterModule.forRoot()`). Listen with `@OnEvent(CASHLINK_EVENTS.investmentStatusChanged)`.
 * Payload classes live beside the feature that emits them.
 */
export const CASHLINK_EVENTS = {
  /** A durable write settled with a 2xx answer. Payload: `IntentSettledEvent`. */
  intentSucceeded: 'cashlink.intent.succeeded',
  /** A durable write settled with a definitive error. Payload: `IntentSettledEvent`. */
  intentFailed: 'cashlink.intent.failed',
  /**
   * A durable write passed its maximum age unsettled (state `expired`), or was stopped early by repeated
   * 409s (state `needs_review`): it needs reconciliation. Payload: `IntentSettledEvent`.
   */
  intentExpired: 'cashlink.intent.expired',
  /**
   * A person resolved an expired / needs_review intent (created, send_again or abandoned), after the
   * resolution committed. Payload: `IntentResolvedEvent`. A `created` one is followed by `intentSucceeded`;
   * a `send_again` one by the new key's own settlement events.
   */
  intentResolved: 'cashlink.intent.resolved',
  /** Any investment status change received by webhook. Payload: `InvestmentStatusChangedEvent`. */
  investmentStatusChanged: 'cashlink.investment.status_changed',
  /** Prefix of the per-status events, e.g. `cashlink.investment.accepted`. */
  investmentStatusPrefix: 'cashlink.investment.',
  /** An authenticated webhook whose body was not a valid status change was quarantined. */
  webhookQuarantined: 'cashlink.webhook.quarantined',
  /** A webhook row failed every dispatch attempt and is dead. */
  webhookDead: 'cashlink.webhook.dead',
} as const;
