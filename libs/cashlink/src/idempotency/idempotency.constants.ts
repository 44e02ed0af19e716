/**
 * Injection token of the TypeORM DataSource that holds the intents table (the host's default one, or
 * the one named by the module's `dataSource` extra). Internal.
 */
export const CASHLINK_INTENTS_DATA_SOURCE = Symbol('CASHLINK_INTENTS_DATA_SOURCE');

/** Injection token of the resolved `idempotency` options (`ResolvedIdempotencyOptions`). Internal. */
export const CASHLINK_IDEMPOTENCY_OPTIONS = Symbol('CASHLINK_IDEMPOTENCY_OPTIONS');
