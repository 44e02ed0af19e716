import type {
  CashlinkIdempotencyOptions,
  ResolvedIdempotencyOptions,
} from '../idempotency/idempotency.options';
import type {
  CashlinkEncryptionOptions,
  CashlinkPersonalDataOptions,
  ResolvedProtectionOptions,
} from '../protection/protection.options';
import type { CashlinkWebhooksOptions, ResolvedWebhooksOptions } from '../webhooks/webhooks.options';

/** A Cashlink environment with known hosts (contract §1). */
export type CashlinkEnvironment = 'demo' | 'production';

/** How the client id and secret travel to the token endpoint. */
export type CashlinkTokenAuthMethod = 'body' | 'basic';

/** Token cache settings. */
export interface CashlinkAuthOptions {
  /**
   * A cached token is replaced this long before its `expires_in` runs out, so that a token never
   * expires in flight. Capped at half the token's lifetime for very short-lived tokens.
   * @default 30000
   */
  expirySkewMs?: number;
  /**
   * Lifetime assumed when the token answer carries no `expires_in` (Cashlink does not document it).
   * A token that dies earlier is still handled: a 401 refetches it and replays the call once.
   * @default 300000 (5 minutes)
   */
  defaultTokenLifetimeMs?: number;
}

/** Transport settings. Every one can be overridden per call where the call takes options. */
export interface CashlinkHttpOptions {
  /**
   * Deadline of one attempt (connect, send, receive), in ms. Per call: `timeoutMs`.
   * @default 30000
   */
  timeoutMs?: number;
  /**
   * Retries after the first attempt, for requests that are safe to repeat (GET, and writes that
   * carry an idempotency key) on network errors, timeouts, 429 and 5xx. Per call: `maxRetries`.
   * @default 3
   */
  maxRetries?: number;
  /**
   * Base of the exponential backoff: attempt n waits a random time in [0, min(max, base * 2^n)]
   * ("full jitter", so that many clients do not retry in lockstep).
   * @default 300
   */
  retryBaseDelayMs?: number;
  /**
   * Upper bound of one backoff wait.
   * @default 10000
   */
  retryMaxDelayMs?: number;
  /**
   * Upper bound of a wait requested by a 429 `Retry-After`. A longer request is capped to this value.
   * @default 60000
   */
  maxRetryAfterMs?: number;
}

/** Document upload settings. */
export interface CashlinkDocumentsOptions {
  /**
   * Largest document the client sends, in bytes; checked before sending (a stream is counted while
   * it is sent). Assumption: Cashlink documents no limit; 20 MiB covers scanned PDFs.
   * @default 20971520
   */
  maxSizeBytes?: number;
}

/** Options of `CashlinkModule.forRoot()` / the factory of `forRootAsync()`. */
export interface CashlinkModuleOptions {
  /**
   * Preset hosts: `'demo'` (sandbox) or `'production'`. Explicit `baseUrl` / `tokenUrl` win over the preset.
   * Without a preset, both `baseUrl` and `tokenUrl` are required.
   */
  environment?: CashlinkEnvironment;
  /** API base, e.g. `https://demo.cashlink.de/api/external/distributor`. */
  baseUrl?: string;
  /** OAuth token endpoint, e.g. `https://demo.cashlink.de/api/external/oauth/token`. */
  tokenUrl?: string;
  /**
   * Allow `http://` URLs on hosts other than loopback (e.g. an emulator in a container).
   * Never for Cashlink itself: the token would travel in clear text.
   * @default false
   */
  allowInsecureHttp?: boolean;
  /** OAuth client id handed out by Cashlink during onboarding. */
  clientId: string;
  /** OAuth client secret. Never logged, never part of an error message. */
  clientSecret: string;
  /**
   * Scopes requested with the token.
   * @default ['investors:read','investors:write','investments:read','investments:write','documents:write']
   */
  scopes?: readonly string[];
  /**
   * `'body'`: client id and secret in the form body (what Cashlink documents);
   * `'basic'`: HTTP Basic authentication (RFC 6749 §2.3.1; assumed to work as well).
   * @default 'body'
   */
  tokenAuthMethod?: CashlinkTokenAuthMethod;
  /** Token cache settings. */
  auth?: CashlinkAuthOptions;
  /** Timeouts and retries. */
  http?: CashlinkHttpOptions;
  /** Document uploads. */
  documents?: CashlinkDocumentsOptions;
  /**
   * Durable idempotent writes (needs `persistence`). `false` sends writes with a key but stores nothing.
   * See README "Durable idempotency".
   */
  idempotency?: CashlinkIdempotencyOptions | false;
  /**
   * The webhook receiver. `false` or absent mounts nothing. See README "Webhooks".
   * @default false
   */
  webhooks?: CashlinkWebhooksOptions | false;
  /**
   * Encryption at rest (AES-256-GCM) of every stored value that can carry investor data. Required
   * whenever persistence is on: either a key ring `{ keys, activeKeyId }`, or `false` to store those
   * values in clear (start-up then warns at every boot). See docs/personal-data.md.
   * @default none: start-up fails with persistence on until it is set
   */
  encryption?: CashlinkEncryptionOptions | false;
  /**
   * Retention of personal data in rows kept for their keys or for inspection (expired and failed
   * intents, dead and quarantined webhook rows).
   * @default { retentionMs: 7776000000 (90 days), retentionIntervalMs: 3600000 }
   */
  personalData?: CashlinkPersonalDataOptions;
}

/** The options after defaults are merged and validated: what `CASHLINK_OPTIONS` provides. */
export interface ResolvedCashlinkOptions {
  environment?: CashlinkEnvironment;
  /** API base without trailing slash. */
  baseUrl: string;
  tokenUrl: string;
  /** Origin of `baseUrl` (`https://host[:port]`): the only origin the bearer token is sent to. */
  apiOrigin: string;
  /** Path of `baseUrl` without trailing slash, e.g. `/api/external/distributor`. */
  apiBasePath: string;
  allowInsecureHttp: boolean;
  clientId: string;
  /** Not enumerable, so that logging or serialising the options object never shows it. */
  clientSecret: string;
  scopes: readonly string[];
  tokenAuthMethod: CashlinkTokenAuthMethod;
  auth: Required<CashlinkAuthOptions>;
  http: Required<CashlinkHttpOptions>;
  documents: Required<CashlinkDocumentsOptions>;
  idempotency: ResolvedIdempotencyOptions;
  webhooks: ResolvedWebhooksOptions;
  protection: ResolvedProtectionOptions;
}
