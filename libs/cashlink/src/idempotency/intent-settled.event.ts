import type { CashlinkIntentErrorRecord, CashlinkIntentState } from './cashlink-intent.entity';

/**
 * Payload of `CASHLINK_EVENTS.intentSucceeded`, `.intentFailed` and `.intentExpired`: emitted once the
 * settlement is committed, also when it happens in the recovery worker after a restart, so that an app
 * learns the outcome of a call whose caller is gone.
 *
 * ```ts
 * @OnEvent(CASHLINK_EVENTS.intentSucceeded)
 * onSucceeded(event: IntentSettledEvent) { if (event.operation === 'investments.create') ... event.response }
 * ```
 */
export class IntentSettledEvent {
  constructor(
    /** The idempotency key (your own id when you passed one). */
    readonly key: string,
    /** The library operation, e.g. `investments.create`. */
    readonly operation: string,
    readonly state: Exclude<CashlinkIntentState, 'pending'>,
    /** Attempts made, including the successful one. */
    readonly attempts: number,
    readonly settledAt: Date,
    /** For `succeeded`: Cashlink's answer (status and parsed body, e.g. the created investment). */
    readonly response?: { status: number; body: unknown },
    /** For `failed` and `expired`: what went wrong (class name, message, status; never a secret). */
    readonly error?: CashlinkIntentErrorRecord,
  ) {}
}
