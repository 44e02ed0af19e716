import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { CustomersModule } from '../customers/customers.module';
import { Subscription } from './subscription.entity';
import { SubscriptionIntentListener } from './subscription-intent.listener';
import { SubscriptionStatusListener } from './subscription-status.listener';
import { CampaignsController } from './campaigns.controller';
import { SubscriptionsController } from './subscriptions.controller';
import { SubscriptionsService } from './subscriptions.service';

@Module({
  imports: [TypeOrmModule.forFeature([Subscription]), CustomersModule],
  controllers: [SubscriptionsController, CampaignsController],
  providers: [SubscriptionsService, SubscriptionStatusListener, SubscriptionIntentListener],
  exports: [SubscriptionsService],
})
export class SubscriptionsModule {}
