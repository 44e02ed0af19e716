import { Injectable } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { CASHLINK_EVENTS, CashlinkReconciliationService, type IntentSettledEvent } from 'nestjs-cashlink';
import { TimelineService } from '../timeline/timeline.service';
import { short } from './subscription-status.listener';
import { SubscriptionsService } from './subscriptions.service';

/**
 * Learns the outcome of each subscription's investment call from the library's settlement events, also
 * when the call finished after a restart (the library's recovery resumed the intent, and the request that
 * started it is long gone). The subscription's id is the intent's key (or, after an operator sent it again,
 * the key its resolution replaced).
 */
@Injectable()
export class SubscriptionIntentListener {
  constructor(
    private readonly service: SubscriptionsService,
    private readonly timeline: TimelineService,
    private readonly reconciliation: CashlinkReconciliationService,
  ) {}

  @OnEvent(CASHLINK_EVENTS.intentSucceeded)
  async onSucceeded(event: IntentSettledEvent): Promise<void> {
    if (event.operation !== 'investments.create') return;
    const investment = event.response?.body as { id?: string; status?: string } | undefined;
    if (typeof investment?.id !== 'string') return;
    // An operator may have resolved the subscription's own intent as "not created, send again": the
    // investment then arrives under the new key, and the resolution names the subscription's key.
    const original = await this.reconciliation.findResolutionByNewKey(event.key);
    await this.service.link(original?.key ?? event.key, investment.id, investment.status ?? 'UNKNOWN');
  }

  /** Cashlink refused the investment (`failed`), or it could not be confirmed in time (`expired`). */
  @OnEvent(CASHLINK_EVENTS.intentFailed)
  @OnEvent(CASHLINK_EVENTS.intentExpired)
  async onNotCreated(event: IntentSettledEvent): Promise<void> {
    if (event.operation !== 'investments.create' || event.state === 'succeeded') return;
    const status = await this.service.markNotCreated(event.key, event.state);
    if (status !== null) {
      this.timeline.step(
        `subscription ${status}`,
        `subscription ${short(event.key)}: ${event.error?.message ?? ''}`,
      );
    }
  }
}
