// Owned by the idempotency feature (issue 4). STUB: filled when intents land.
import type { Provider, Type } from '@nestjs/common';

/** TypeORM entities of the idempotency feature, registered on the host's DataSource. */
export const IDEMPOTENCY_ENTITIES: Type[] = [];
/** Nest providers of the idempotency feature (added to CashlinkModule when persistence is on). */
export const IDEMPOTENCY_PROVIDERS: Provider[] = [];
