import { Injectable, Logger } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { InjectRepository } from '@nestjs/typeorm';
import { CASHLINK_EVENTS, type InvestmentStatusChangedEvent } from 'nestjs-cashlink';
import { Repository } from 'typeorm';
import { TimelineService } from '../timeline/timeline.service';
import { Subscription } from './subscription.entity';
import { SubscriptionsService } from './subscriptions.service';

/**
 * Keeps each local subscription's status in step with Cashlink, from webhooks. The library delivers every
 * change once (duplicates removed, stored before the 2xx, retried while a listener throws), so this
 * listener only applies it. `suppressErrors: false` lets a failure reach the library, which then retries.
 */
@Injectable()
export class SubscriptionStatusListener {
  private readonly logger = new Logger(SubscriptionStatusListener.name);

  constructor(
    @InjectRepository(Subscription) private readonly subscriptions: Repository<Subscription>,
    private readonly timeline: TimelineService,
    private readonly service: SubscriptionsService,
  ) {}

  @OnEvent(CASHLINK_EVENTS.investmentStatusChanged, { suppressErrors: false })
  async onStatusChanged(event: InvestmentStatusChangedEvent): Promise<void> {
    let subscription = await this.subscriptions.findOneBy({ cashlinkInvestmentId: event.investmentId });
    if (subscription === null && (await this.service.reconcile()) > 0) {
      subscription = await this.subscriptions.findOneBy({ cashlinkInvestmentId: event.investmentId });
    }
    if (subscription === null) {
      // The webhook can overtake the answer of the create call (which links the investment to the
      // subscription), and the intent may still be pending. Throwing makes the library retry the
      // delivery a moment later.
      throw new Error(`investment ${event.investmentId} is not linked to a subscription (yet)`);
    }
    if (event.stale) {
      // An older change delivered after a newer one: the newer status stays.
      this.timeline.step(
        'stale webhook ignored',
        `${event.status.padEnd(22)} investment ${short(event.investmentId)}`,
      );
      return;
    }
    const previous = subscription.status;
    await this.subscriptions.update(
      { id: subscription.id },
      { status: event.status, statusChangedAt: event.changedAt, updatedAt: new Date().toISOString() },
    );
    this.logger.debug(`subscription ${subscription.id}: ${previous} -> ${event.status}`);
    this.timeline.step(
      'webhook received',
      `${event.status.padEnd(22)} subscription ${short(subscription.id)} ${previous} → ${event.status} (investment ${short(event.investmentId)})`,
    );
  }
}

/** First 8 characters of an id: enough to follow the timeline. */
export function short(id: string): string {
  return id.slice(0, 8);
}
