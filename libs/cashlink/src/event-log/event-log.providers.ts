import type { Provider, Type } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { ProtectionCodec } from '../protection/protection-codec';
import { CASHLINK_WEBHOOKS_DATA_SOURCE } from '../webhooks/webhooks.constants';
import { CashlinkEventHandlers } from './cashlink-event-handlers';
import { CashlinkEventDispatcher } from './cashlink-event.dispatcher';
import { CASHLINK_EVENT_LOG_WAKE } from '../events/event-log-wake';
import { CashlinkEventLogStore } from './cashlink-event-log.store';
import { CashlinkEventsService } from './cashlink-events.service';

/**
 * The event log's providers (with persistence; the log lives on the library's DataSource). The module
 * provides `CASHLINK_EVENTS_OPTIONS` (its slice of the options).
 */
export const EVENT_LOG_PROVIDERS: Provider[] = [
  {
    provide: CashlinkEventLogStore,
    useFactory: (dataSource: DataSource, codec: ProtectionCodec) =>
      new CashlinkEventLogStore(dataSource, codec),
    inject: [CASHLINK_WEBHOOKS_DATA_SOURCE, ProtectionCodec],
  },
  CashlinkEventHandlers,
  CashlinkEventDispatcher,
  // The receiver wakes the dispatcher through this token (it does not depend on the event log).
  { provide: CASHLINK_EVENT_LOG_WAKE, useExisting: CashlinkEventDispatcher },
  CashlinkEventsService,
];

export const EVENT_LOG_EXPORTS: Type[] = [CashlinkEventsService];
