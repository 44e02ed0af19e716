/** Injection token of the resolved webhooks options (`ResolvedWebhooksOptions`). Internal. */
export const CASHLINK_WEBHOOKS_OPTIONS = Symbol('CASHLINK_WEBHOOKS_OPTIONS');
/** Injection token of the TypeORM DataSource that holds the inbox. Internal. */
export const CASHLINK_WEBHOOKS_DATA_SOURCE = Symbol('CASHLINK_WEBHOOKS_DATA_SOURCE');
