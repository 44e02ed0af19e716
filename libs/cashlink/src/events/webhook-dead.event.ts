/**
 * Payload of `CASHLINK_EVENTS.webhookDead`: every dispatch attempt of a change failed. Re-dispatch it
 * with `CashlinkWebhooksService.redispatch(inboxId)` once the listener is fixed.
 */
export class WebhookDeadEvent {
  constructor(
    readonly inboxId: string,
    readonly investmentId: string,
    readonly status: string,
    /** Attempts made. */
    readonly attempts: number,
    /** Name and message of the last listener error. */
    readonly lastError: string,
  ) {}
}
