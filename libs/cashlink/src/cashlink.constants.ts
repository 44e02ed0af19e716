/**
 * Injection token of the resolved module options (`ResolvedCashlinkOptions`): defaults merged and
 * validated once, at start-up. Internal: the library's own providers inject it; it is not exported,
 * because the resolved options are not part of the public API (an app reads its own settings where it
 * builds the options).
 */
export const CASHLINK_OPTIONS = Symbol('CASHLINK_OPTIONS');

/**
 * Injection token of the client core's slice of the resolved options (`ResolvedClientOptions`): what
 * the auth, HTTP client, pagination and resource services receive. Internal.
 */
export const CASHLINK_CLIENT_OPTIONS = Symbol('CASHLINK_CLIENT_OPTIONS');

/**
 * Seam for durable idempotent writes. When a provider exists under this token (the idempotency
 * feature registers one in `IDEMPOTENCY_PROVIDERS`, which the module adds when `persistence` is on)
 * and `idempotency` is enabled in the options, `CashlinkWriteExecutor` resolves to it; otherwise
 * writes go through `DirectWriteExecutor` (a key per call, nothing stored).
 */
export const CASHLINK_DURABLE_WRITE_EXECUTOR = Symbol('CASHLINK_DURABLE_WRITE_EXECUTOR');

/** The API hosts Cashlink documents (contract §1). A sandbox on a customer host needs `baseUrl` + `tokenUrl`. */
export const CASHLINK_ENVIRONMENTS = {
  demo: {
    baseUrl: 'https://demo.cashlink.de/api/external/distributor',
    tokenUrl: 'https://demo.cashlink.de/api/external/oauth/token',
  },
  /** Assumption: the distributor API lives on the same production host as the issuer API. */
  production: {
    baseUrl: 'https://connect.cashlink.de/api/external/distributor',
    tokenUrl: 'https://connect.cashlink.de/api/external/oauth/token',
  },
} as const;

/** Every scope Cashlink documents for the distributor API; the default of the `scopes` option. */
export const CASHLINK_DEFAULT_SCOPES = [
  'investors:read',
  'investors:write',
  'investments:read',
  'investments:write',
  'documents:write',
] as const;

/** Header Cashlink reads the idempotency key from (contract §2). */
export const IDEMPOTENCY_KEY_HEADER = 'X-Idempotency-Key';
/** Header assumed to carry Cashlink's request id (contract §2). */
export const REQUEST_ID_HEADER = 'x-request-id';
