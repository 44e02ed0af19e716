import type { Provider, Type } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { CASHLINK_OPTIONS } from '../cashlink.constants';
import type { ResolvedCashlinkOptions } from '../options/cashlink-module-options.interface';
import { CASHLINK_WEBHOOKS_DATA_SOURCE } from '../webhooks/webhooks.constants';
import { CashlinkEventHandlers } from './cashlink-event-handlers';
import { CashlinkEventDeliveryEntity, CashlinkEventEntity } from './cashlink-event.entity';
import { CASHLINK_EVENTS_OPTIONS, CashlinkEventDispatcher } from './cashlink-event.dispatcher';
import { CashlinkEventLogStore } from './cashlink-event-log.store';
import { CashlinkEventsService } from './cashlink-events.service';

/** TypeORM entities of the durable event log. */
export const EVENT_LOG_ENTITIES: Type[] = [CashlinkEventEntity, CashlinkEventDeliveryEntity];

/** The event log's providers (with persistence; the log lives on the library's DataSource). */
export const EVENT_LOG_PROVIDERS: Provider[] = [
  {
    provide: CASHLINK_EVENTS_OPTIONS,
    useFactory: (options: ResolvedCashlinkOptions) => options.events,
    inject: [CASHLINK_OPTIONS],
  },
  {
    provide: CashlinkEventLogStore,
    useFactory: (dataSource: DataSource) => new CashlinkEventLogStore(dataSource),
    inject: [CASHLINK_WEBHOOKS_DATA_SOURCE],
  },
  CashlinkEventHandlers,
  CashlinkEventDispatcher,
  CashlinkEventsService,
];

export const EVENT_LOG_EXPORTS: Type[] = [CashlinkEventsService];
