import { Body, Controller, Get, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { parseCreateSubscription } from './create-subscription.dto';
import type { Subscription } from './subscription.entity';
import { SubscriptionsService } from './subscriptions.service';

@Controller('subscriptions')
export class SubscriptionsController {
  constructor(private readonly subscriptions: SubscriptionsService) {}

  /** Creates a subscription and its Cashlink investment (atomically, see the service). */
  @Post()
  async create(@Body() body: unknown): Promise<object> {
    const { subscription, investment } = await this.subscriptions.create(parseCreateSubscription(body));
    return { ...subscription, investment };
  }

  @Get()
  list(): Promise<Subscription[]> {
    return this.subscriptions.list();
  }

  @Get(':id')
  get(@Param('id', ParseUUIDPipe) id: string): Promise<Subscription> {
    return this.subscriptions.get(id);
  }
}
