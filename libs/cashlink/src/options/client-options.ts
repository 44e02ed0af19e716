/**
 * The client core's options: where Cashlink is, the credentials, the token cache, the transport and
 * document uploads. The auth, transport, HTTP client, pagination and resource services receive only
 * this slice (`CASHLINK_CLIENT_OPTIONS`); the module combines it with the features' options.
 */
import { CASHLINK_DEFAULT_SCOPES, CASHLINK_ENVIRONMENTS } from '../cashlink.constants';
import {
  checkBoolean,
  checkNumber,
  checkSecureUrl,
  checkSection,
  type OptionSections,
} from './option-checks';

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

/** The client core's part of the module options. */
export interface CashlinkClientOptions {
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
}

/** The client core's options after defaults are merged and validated: what `CASHLINK_CLIENT_OPTIONS` provides. */
export interface ResolvedClientOptions {
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
}

/** Every default of the client options, in one place (the README options table mirrors it). */
export const CASHLINK_OPTION_DEFAULTS = {
  tokenAuthMethod: 'body',
  allowInsecureHttp: false,
  auth: { expirySkewMs: 30_000, defaultTokenLifetimeMs: 300_000 },
  http: {
    timeoutMs: 30_000,
    maxRetries: 3,
    retryBaseDelayMs: 300,
    retryMaxDelayMs: 10_000,
    maxRetryAfterMs: 60_000,
  },
  documents: { maxSizeBytes: 20 * 1024 * 1024 },
} as const satisfies {
  tokenAuthMethod: string;
  allowInsecureHttp: boolean;
  auth: Required<CashlinkAuthOptions>;
  http: Required<CashlinkHttpOptions>;
  documents: Required<CashlinkDocumentsOptions>;
};

/** Every option name of the client core, by section (`''` is the top level). */
export const CLIENT_OPTION_NAMES = {
  '': [
    'environment',
    'baseUrl',
    'tokenUrl',
    'allowInsecureHttp',
    'clientId',
    'clientSecret',
    'scopes',
    'tokenAuthMethod',
    'auth',
    'http',
    'documents',
  ],
  auth: Object.keys(CASHLINK_OPTION_DEFAULTS.auth),
  http: Object.keys(CASHLINK_OPTION_DEFAULTS.http),
  documents: Object.keys(CASHLINK_OPTION_DEFAULTS.documents),
} satisfies OptionSections;

/**
 * Merges the defaults into the client core's options and pushes one line per invalid option onto
 * `problems` (`known` lists every option name of the module, to name a typo's likely meaning). The
 * caller throws when `problems` is not empty; the result is only meaningful when it is.
 */
export function resolveClientOptions(
  o: Partial<CashlinkClientOptions>,
  problems: string[],
  known: OptionSections,
): ResolvedClientOptions {
  // Hosts: an explicit URL wins over the environment preset.
  let preset: { baseUrl: string; tokenUrl: string } | undefined;
  if (o.environment !== undefined) {
    if (o.environment === 'demo' || o.environment === 'production')
      preset = CASHLINK_ENVIRONMENTS[o.environment];
    else
      problems.push(`environment: must be 'demo' or 'production' (or omit it and set baseUrl and tokenUrl)`);
  }
  const allowInsecureHttp = checkBoolean(problems, 'allowInsecureHttp', o.allowInsecureHttp, false);
  const base = url(o.baseUrl ?? preset?.baseUrl, 'baseUrl', allowInsecureHttp, problems, o.environment);
  const token = url(o.tokenUrl ?? preset?.tokenUrl, 'tokenUrl', allowInsecureHttp, problems, o.environment);

  if (typeof o.clientId !== 'string' || o.clientId.trim() === '') {
    problems.push('clientId: required, the OAuth client id Cashlink gave you (a non-empty string)');
  }
  if (typeof o.clientSecret !== 'string' || o.clientSecret === '') {
    // Never echo the value: it may be a real secret in the wrong place.
    problems.push('clientSecret: required, the OAuth client secret Cashlink gave you (a non-empty string)');
  }

  let scopes: readonly string[] = CASHLINK_DEFAULT_SCOPES;
  if (o.scopes !== undefined) {
    if (
      !Array.isArray(o.scopes) ||
      o.scopes.length === 0 ||
      !o.scopes.every((s) => typeof s === 'string' && /^\S+$/.test(s))
    ) {
      problems.push(
        `scopes: must be a non-empty array of scope names without spaces, e.g. ['investments:read']; omit it for all five`,
      );
    } else scopes = Object.freeze([...o.scopes]);
  }

  let tokenAuthMethod: CashlinkTokenAuthMethod = CASHLINK_OPTION_DEFAULTS.tokenAuthMethod;
  if (o.tokenAuthMethod !== undefined) {
    if (o.tokenAuthMethod === 'body' || o.tokenAuthMethod === 'basic') tokenAuthMethod = o.tokenAuthMethod;
    else
      problems.push(`tokenAuthMethod: must be 'body' (credentials in the form body) or 'basic' (HTTP Basic)`);
  }

  const auth = checkSection(problems, 'auth', o.auth, known);
  const d = CASHLINK_OPTION_DEFAULTS;
  const int = (name: string, value: unknown, fallback: number, min: number, max?: number): number =>
    checkNumber(problems, name, value, fallback, { min, max });
  const resolvedAuth = {
    expirySkewMs: int('auth.expirySkewMs', auth.expirySkewMs, d.auth.expirySkewMs, 0),
    defaultTokenLifetimeMs: int(
      'auth.defaultTokenLifetimeMs',
      auth.defaultTokenLifetimeMs,
      d.auth.defaultTokenLifetimeMs,
      1,
    ),
  };

  const http = checkSection(problems, 'http', o.http, known);
  const resolvedHttp = {
    timeoutMs: int('http.timeoutMs', http.timeoutMs, d.http.timeoutMs, 1),
    maxRetries: int('http.maxRetries', http.maxRetries, d.http.maxRetries, 0, 20),
    retryBaseDelayMs: int('http.retryBaseDelayMs', http.retryBaseDelayMs, d.http.retryBaseDelayMs, 0),
    retryMaxDelayMs: int('http.retryMaxDelayMs', http.retryMaxDelayMs, d.http.retryMaxDelayMs, 0),
    maxRetryAfterMs: int('http.maxRetryAfterMs', http.maxRetryAfterMs, d.http.maxRetryAfterMs, 0),
  };
  if (resolvedHttp.retryMaxDelayMs < resolvedHttp.retryBaseDelayMs) {
    problems.push(
      `http.retryMaxDelayMs: must be at least http.retryBaseDelayMs (${resolvedHttp.retryBaseDelayMs}); raise it or lower the base`,
    );
  }

  const documents = checkSection(problems, 'documents', o.documents, known);
  const resolvedDocuments = {
    maxSizeBytes: int('documents.maxSizeBytes', documents.maxSizeBytes, d.documents.maxSizeBytes, 1),
  };

  const resolved: ResolvedClientOptions = {
    environment: o.environment,
    baseUrl: base?.href ?? '',
    tokenUrl: token?.href ?? '',
    apiOrigin: base?.origin ?? '',
    apiBasePath: base?.path ?? '',
    allowInsecureHttp,
    clientId: o.clientId ?? '',
    clientSecret: '',
    scopes,
    tokenAuthMethod,
    auth: resolvedAuth,
    http: resolvedHttp,
    documents: resolvedDocuments,
  };
  // Not enumerable: `JSON.stringify`, `util.inspect` and a careless `logger.log(options)` skip it.
  Object.defineProperty(resolved, 'clientSecret', { value: o.clientSecret, enumerable: false });
  return Object.freeze(resolved);
}

function url(
  value: unknown,
  name: string,
  allowInsecureHttp: boolean,
  problems: string[],
  environment: unknown,
): { href: string; origin: string; path: string } | undefined {
  if (value === undefined) {
    if (environment === undefined) {
      problems.push(
        `${name}: required without 'environment'; set environment: 'demo' | 'production' or ${name}`,
      );
    }
    return undefined;
  }
  const parsed = checkSecureUrl(problems, name, value, {
    allowInsecureHttp,
    example: 'https://demo.cashlink.de/...',
    bare: true,
  });
  if (!parsed) return undefined;
  const path = parsed.pathname.replace(/\/+$/, '');
  return { href: `${parsed.origin}${path}`, origin: parsed.origin, path };
}
