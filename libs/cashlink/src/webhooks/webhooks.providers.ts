// Owned by the webhooks feature (issue 5). STUB: filled when webhooks land.
import type { Provider, Type } from '@nestjs/common';
import { WebhookInboxEntity } from './webhook-inbox.entity';

/** TypeORM entities of the webhooks feature, registered on the host's DataSource. */
export const WEBHOOK_ENTITIES: Type[] = [WebhookInboxEntity];
/** Nest providers of the webhooks feature (added to CashlinkModule when persistence is on). */
export const WEBHOOK_PROVIDERS: Provider[] = [];
/** Controllers of the webhooks feature. */
export const WEBHOOK_CONTROLLERS: Type[] = [];
