import type { MigrationInterface } from 'typeorm';
import { CreateCashlinkIntents1795985000000 } from './1795985000000-create-cashlink-intents';
import { CashlinkIntentsPurgeTombstones1795995000000 } from './1795995000000-cashlink-intents-purge-tombstones';
import { CreateCashlinkWebhookInbox1795990000000 } from './1795990000000-create-cashlink-webhook-inbox';
import { CashlinkWebhookInboxChangeIndex1796000000000 } from './1796000000000-cashlink-webhook-inbox-change-index';
import { CreateCashlinkEventLog1796100000000 } from './1796100000000-create-cashlink-event-log';
import { CashlinkIntentResolutions1796060000000 } from './1796060000000-cashlink-intent-resolutions';
import { CashlinkDataProtection1796200000000 } from './1796200000000-cashlink-data-protection';
import { CashlinkEventLogTriggers1796300000000 } from './1796300000000-cashlink-event-log-triggers';
import { CashlinkEventLogNeedsReview1796400000000 } from './1796400000000-cashlink-event-log-needs-review';

/**
 * Every TypeORM migration of the library, for SQLite and PostgreSQL. Add them to the host's
 * DataSource `migrations` (or use `migrationsRun: true`): `migrations: [...CASHLINK_MIGRATIONS, ...yours]`. Each feature appends its own class.
 */
export const CASHLINK_MIGRATIONS: Array<new () => MigrationInterface> = [
  CreateCashlinkIntents1795985000000,
  CreateCashlinkWebhookInbox1795990000000,
  CashlinkIntentsPurgeTombstones1795995000000,
  CashlinkWebhookInboxChangeIndex1796000000000,
  CashlinkIntentResolutions1796060000000,
  CreateCashlinkEventLog1796100000000,
  CashlinkDataProtection1796200000000,
  CashlinkEventLogTriggers1796300000000,
  CashlinkEventLogNeedsReview1796400000000,
];
