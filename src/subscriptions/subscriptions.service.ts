import { randomUUID } from 'node:crypto';
import {
  ConflictException,
  Injectable,
  Logger,
  NotFoundException,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import {
  CashlinkIntentsService,
  CashlinkReconciliationService,
  CashlinkInvestmentsService,
  type CashlinkInvestment,
  type CashlinkInvestmentCreate,
  type IntentSettledEvent,
} from 'nestjs-cashlink';
import { DataSource, In, IsNull, Repository } from 'typeorm';
import { CustomersService } from '../customers/customers.service';
import type { CreateSubscriptionDto } from './create-subscription.dto';
import { Subscription } from './subscription.entity';

/** Local subscriptions and their Cashlink investments. */
@Injectable()
export class SubscriptionsService implements OnApplicationBootstrap {
  private readonly logger = new Logger(SubscriptionsService.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @InjectRepository(Subscription) private readonly subscriptions: Repository<Subscription>,
    private readonly customers: CustomersService,
    private readonly investments: CashlinkInvestmentsService,
    private readonly intents: CashlinkIntentsService,
    private readonly reconciliation: CashlinkReconciliationService,
  ) {}

  /** After a restart: settle what the library settled while this process was not listening. */
  async onApplicationBootstrap(): Promise<void> {
    const linked = await this.reconcile();
    if (linked > 0) this.logger.log(`${linked} subscription(s) reconciled with their intents`);
  }

  /**
   * Brings subscriptions still waiting for their investment (`REQUESTED` or `NEEDS_RECONCILIATION`, no
   * investment id) in line with their intents, read by key (= the subscription's id; after an operator sent
   * it again, the new key its resolution names). The settlement events normally do this; reading the
   * intent covers an event lost with a process that died between the settlement and the event.
   * Pending intents are left to the library's recovery worker. Resolves with the number of rows changed.
   */
  async reconcile(): Promise<number> {
    const waiting = await this.subscriptions.findBy({
      status: In(['REQUESTED', 'NEEDS_RECONCILIATION']),
      cashlinkInvestmentId: IsNull(),
    });
    let changed = 0;
    for (const subscription of waiting) {
      let intent = await this.intents.find(subscription.id);
      // Follow "not created, send again" resolutions to the key that was actually sent.
      for (let hop = 0; intent?.state === 'replaced' && hop < 5; hop++) {
        const newKey = (await this.reconciliation.findResolution(intent.key))?.newKey;
        intent = newKey ? await this.intents.find(newKey) : null;
      }
      if (intent === null) continue;
      const investment = intent.response?.body as { id?: string; status?: string } | undefined;
      if (intent.state === 'succeeded' && typeof investment?.id === 'string') {
        await this.link(subscription.id, investment.id, investment.status ?? 'UNKNOWN');
        changed += 1;
      } else if (
        subscription.status === 'REQUESTED' &&
        intent.state !== 'pending' &&
        intent.state !== 'succeeded'
      ) {
        await this.markNotCreated(subscription.id, intent.state);
        changed += 1;
      }
    }
    return changed;
  }

  /**
   * Cashlink refused the investment (`failed`), or it could not be confirmed (`expired`, `needs_review`)
   * or was resolved by a person without an investment under this key (`abandoned`, `replaced`).
   */
  async markNotCreated(
    subscriptionId: string,
    state: Exclude<IntentSettledEvent['state'], 'succeeded'>,
  ): Promise<string | null> {
    const status = state === 'failed' ? 'REJECTED' : 'NEEDS_RECONCILIATION';
    const result = await this.subscriptions.update(
      { id: subscriptionId, cashlinkInvestmentId: IsNull() },
      { status, updatedAt: new Date().toISOString() },
    );
    return result.affected ? status : null;
  }

  /**
   * Creates the subscription row and the intent of its Cashlink investment in ONE transaction (the library
   * writes the intent with our `manager`): both commit or neither does, and the investment is sent only
   * after the commit. The subscription's id is the idempotency key, so a crash anywhere in between ends in
   * exactly one investment (the library's recovery resumes the intent; see `SubscriptionIntentListener`).
   */
  async create(
    input: CreateSubscriptionDto,
  ): Promise<{ subscription: Subscription; investment: CashlinkInvestment }> {
    const customer = await this.customers.get(input.customerId);
    if (customer.cashlinkInvestorId === null) {
      throw new ConflictException(
        `customer ${customer.id} has no Cashlink investor yet: POST /customers/:id/investor`,
      );
    }
    const now = new Date().toISOString();
    const subscription = this.subscriptions.create({
      id: randomUUID(),
      customerId: customer.id,
      campaignId: input.campaignId,
      units: input.units,
      status: 'REQUESTED',
      cashlinkInvestmentId: null,
      documentId: input.documentId ?? null,
      statusChangedAt: null,
      createdAt: now,
      updatedAt: now,
    });
    const request: CashlinkInvestmentCreate = {
      investor_id: customer.cashlinkInvestorId,
      campaign_id: input.campaignId,
      units: input.units,
      signed_at: now,
      ...(input.documentId === undefined ? {} : { signed_documents: [input.documentId] }),
    };

    let sent!: Promise<CashlinkInvestment>;
    await this.dataSource.transaction(async (manager) => {
      await manager.insert(Subscription, subscription);
      sent = this.investments.create(request, { idempotencyKey: subscription.id, manager });
      // Handled below, after the commit that lets the call go out.
      sent.catch(() => undefined);
    });
    const investment = await sent;
    await this.link(subscription.id, investment.id, investment.status);
    return { subscription: await this.get(subscription.id), investment };
  }

  /** Records the investment id (once) and its first status, unless a webhook already moved it on. */
  async link(subscriptionId: string, investmentId: string, status: string): Promise<void> {
    await this.subscriptions
      .createQueryBuilder()
      .update(Subscription)
      .set({ cashlinkInvestmentId: investmentId, status, updatedAt: new Date().toISOString() })
      .where('id = :id AND cashlink_investment_id IS NULL', { id: subscriptionId })
      .execute();
  }

  async get(id: string): Promise<Subscription> {
    const subscription = await this.subscriptions.findOneBy({ id });
    if (subscription === null) throw new NotFoundException(`no subscription ${id}`);
    return subscription;
  }

  list(): Promise<Subscription[]> {
    return this.subscriptions.find({ order: { createdAt: 'ASC' } });
  }
}
