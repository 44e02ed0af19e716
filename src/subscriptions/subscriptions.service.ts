import { randomUUID } from 'node:crypto';
import { ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { CashlinkInvestmentsService } from 'nestjs-cashlink';
import { DataSource, Repository } from 'typeorm';
import { CustomersService } from '../customers/customers.service';
import type { CreateSubscriptionDto } from './create-subscription.dto';
import { Subscription } from './subscription.entity';

type InvestmentInput = Parameters<CashlinkInvestmentsService['create']>[0];
type Investment = Awaited<ReturnType<CashlinkInvestmentsService['create']>>;

/** Local subscriptions and their Cashlink investments. */
@Injectable()
export class SubscriptionsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @InjectRepository(Subscription) private readonly subscriptions: Repository<Subscription>,
    private readonly customers: CustomersService,
    private readonly investments: CashlinkInvestmentsService,
  ) {}

  /**
   * Creates the subscription row and the intent of its Cashlink investment in ONE transaction (the library
   * writes the intent with our `manager`): both commit or neither does, and the investment is sent only
   * after the commit. The subscription's id is the idempotency key, so a crash anywhere in between ends in
   * exactly one investment (the library's recovery resumes the intent; see `SubscriptionIntentListener`).
   */
  async create(
    input: CreateSubscriptionDto,
  ): Promise<{ subscription: Subscription; investment: Investment }> {
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
    const request: InvestmentInput = {
      investor_id: customer.cashlinkInvestorId,
      campaign_id: input.campaignId,
      units: input.units,
      signed_at: now,
      ...(input.documentId === undefined ? {} : { signed_documents: [input.documentId] }),
    } as InvestmentInput;

    let sent!: Promise<Investment>;
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
