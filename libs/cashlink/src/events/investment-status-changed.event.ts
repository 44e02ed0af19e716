import type { CashlinkInvestment } from '../resources/cashlink-investments.types';

/**
 * Payload of `CASHLINK_EVENTS.investmentStatusChanged` and of the per-status events
 * (`cashlink.investment.<status in lower case>`), emitted for each distinct change received by
 * webhook, after it was stored.
 *
 * Delivery is at least once per listener (exactly once when no listener fails and no process dies
 * mid-dispatch): a listener that throws makes the whole row retry, and every listener of both
 * events then receives it again. Make listeners idempotent on `(investmentId, status, changedAt)`
 * or `inboxId` where a repeat would matter.
 */
export class InvestmentStatusChangedEvent<TInvestment = CashlinkInvestment> {
  constructor(
    /** Id of the inbox row (stable across retries and re-dispatches). */
    readonly inboxId: string,
    /** Cashlink's investment id. */
    readonly investmentId: string,
    /** The new status, as Cashlink sent it (unknown statuses are passed through). */
    readonly status: string,
    /**
     * The status of the latest earlier change (by `changedAt`) of this investment stored when this
     * event was dispatched, or null if none.
     */
    readonly previousStatus: string | null,
    /**
     * When the status changed at Cashlink: `changed_at` in ISO 8601 UTC, with at least millisecond
     * digits and any finer digits Cashlink sent (`new Date(changedAt)` reads it).
     */
    readonly changedAt: string,
    /**
     * True when a later change (by `changedAt`) of the same investment was stored by the time this
     * event was dispatched: deliveries arrive in any order, and a retried change may run after a
     * newer one, so this one no longer describes the current status. Decided again on every attempt.
     */
    readonly stale: boolean,
    /** 1 on the first dispatch, then 2, 3... on retries. */
    readonly attempt: number,
    /** The current investment, fetched when the option `webhooks.fetchInvestment` is on. */
    readonly investment?: TInvestment,
  ) {}
}
