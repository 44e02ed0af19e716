/** Injection token of the resolved webhooks options (`ResolvedWebhooksOptions`). Internal. */
export const CASHLINK_WEBHOOKS_OPTIONS = Symbol('CASHLINK_WEBHOOKS_OPTIONS');
/** Injection token of the TypeORM DataSource that holds the inbox. Internal. */
export const CASHLINK_WEBHOOKS_DATA_SOURCE = Symbol('CASHLINK_WEBHOOKS_DATA_SOURCE');
/** Injection token of the `WebhookInvestmentFetcher` used when `webhooks.fetchInvestment` is on. Internal. */
export const CASHLINK_WEBHOOKS_INVESTMENT_FETCHER = Symbol('CASHLINK_WEBHOOKS_INVESTMENT_FETCHER');
/** Injection token of the configured `WebhookAuthenticator`. Internal. */
export const CASHLINK_WEBHOOKS_AUTHENTICATOR = Symbol('CASHLINK_WEBHOOKS_AUTHENTICATOR');
