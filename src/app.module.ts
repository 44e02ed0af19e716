import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { TypeOrmModule } from '@nestjs/typeorm';
import { CashlinkModule } from 'nestjs-cashlink';
import { CashlinkOpsPageModule } from 'nestjs-cashlink/ops';
import { cashlinkOptionsFactory } from './config/cashlink-options.factory';
import { demoDataSourceOptions } from './config/database.options';
import { DEMO_SETTINGS, DemoConfigModule } from './config/demo-config.module';
import type { DemoSettings } from './config/demo-settings';
import { EmbeddedCashlink } from './config/embedded-cashlink';
import { CustomersModule } from './customers/customers.module';
import { DocumentsModule } from './documents/documents.module';
import { HealthModule } from './health/health.module';
import { DemoOpsGuard } from './ops/demo-ops.guard';
import { ScenarioModule } from './scenario/scenario.module';
import { SubscriptionsModule } from './subscriptions/subscriptions.module';
import { TimelineModule } from './timeline/timeline.module';

@Module({
  imports: [
    DemoConfigModule,
    TimelineModule,
    // The library emits its events through the host's EventEmitter2.
    EventEmitterModule.forRoot(),
    // The app owns the DataSource; the library registers its entities on it (autoLoadEntities) and its
    // migrations run with the demo's on start.
    TypeOrmModule.forRootAsync({
      inject: [DEMO_SETTINGS],
      useFactory: (settings: DemoSettings) => ({
        ...demoDataSourceOptions(settings),
        autoLoadEntities: true,
        migrationsRun: true,
      }),
    }),
    CashlinkModule.forRootAsync({
      isGlobal: true,
      inject: [ConfigService, EmbeddedCashlink],
      useFactory: cashlinkOptionsFactory,
    }),
    CustomersModule,
    DocumentsModule,
    SubscriptionsModule,
    HealthModule,
    ScenarioModule,
    // The ops page (intents to reconcile, dead webhook rows to replay) behind the demo's Basic-auth guard.
    CashlinkOpsPageModule.forRoot({ path: 'ops', guard: DemoOpsGuard }),
  ],
})
export class AppModule {}
