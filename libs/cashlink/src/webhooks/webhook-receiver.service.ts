import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { CASHLINK_EVENT_LOG_WAKE, type CashlinkEventLogWake } from '../events/event-log-wake';
import { CASHLINK_EVENTS } from '../events/cashlink-events.constants';
import { WebhookQuarantinedEvent } from '../events/webhook-quarantined.event';
import { recordReceipt } from '../telemetry/cashlink-telemetry';
import { WebhookDispatcher } from './webhook-dispatcher.service';
import type { ReceiptOutcome } from './webhook-http';
import { WebhookInboxStore } from './webhook-inbox.store';
import { parseStatusChange } from './webhook-status-change';

/** What happened to an authenticated webhook body. */
export interface WebhookReceipt {
  outcome: ReceiptOutcome;
  inboxId: string;
}

/**
 * Stores an authenticated webhook body in the inbox (the commit happens before this resolves) and
 * wakes the dispatcher. It never runs listeners itself: dispatch is decoupled from the request.
 */
@Injectable()
export class WebhookReceiverService {
  private readonly logger = new Logger('CashlinkWebhooks');

  constructor(
    private readonly store: WebhookInboxStore,
    private readonly dispatcher: WebhookDispatcher,
    @Optional() @Inject(EventEmitter2) private readonly events: EventEmitter2 | null,
    // Optional: tests assemble the webhook providers without the event log.
    @Optional()
    @Inject(CASHLINK_EVENT_LOG_WAKE)
    private readonly eventLog: CashlinkEventLogWake | null = null,
  ) {}

  /** `body` is the parsed JSON, `rawBody` its text (kept only when the body is quarantined). */
  async receive(body: unknown, rawBody: string): Promise<WebhookReceipt> {
    const parsed = parseStatusChange(body);
    if (parsed.ok) {
      const { inserted, id } = await this.store.insertChange(parsed.change);
      if (inserted) {
        this.dispatcher.kick();
        this.eventLog?.kick();
      }
      recordReceipt(inserted ? 'stored' : 'duplicate', id);
      return { outcome: inserted ? 'stored' : 'duplicate', inboxId: id };
    }
    const { inserted, id } = await this.store.insertQuarantined(rawBody);
    if (inserted) {
      // The reason names the field, never its value: bodies may carry data we must not log.
      this.logger.warn(`Webhook quarantined as ${id}: ${parsed.reason}`);
      this.events
        ?.emitAsync(CASHLINK_EVENTS.webhookQuarantined, new WebhookQuarantinedEvent(id, parsed.reason))
        .catch((error: unknown) =>
          this.logger.warn(
            `A listener of ${CASHLINK_EVENTS.webhookQuarantined} failed (${error instanceof Error ? error.name : 'error'})`,
          ),
        );
    }
    recordReceipt('quarantined', id);
    return { outcome: 'quarantined', inboxId: id };
  }
}
