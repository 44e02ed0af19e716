/**
 * Payload of `CASHLINK_EVENTS.webhookQuarantined`: an authenticated webhook whose body was JSON but
 * not a valid status change was kept (answered 2xx so Cashlink stops retrying). Inspect it with
 * `CashlinkWebhooksService.find(inboxId)`.
 */
export class WebhookQuarantinedEvent {
  constructor(
    /** Id of the quarantined inbox row. */
    readonly inboxId: string,
    /** What was wrong (never quotes the body). */
    readonly reason: string,
  ) {}
}
