import { CASHLINK_DEFAULT_SCOPES, CASHLINK_ENVIRONMENTS } from '../cashlink.constants';
import { CashlinkConfigError } from '../errors/cashlink.error';
import { resolveIdempotencyOptions } from '../idempotency/idempotency.options';
import { resolveProtectionOptions } from '../protection/protection.options';
import { resolveWebhooksOptions } from '../webhooks/webhooks.options';
import type {
  CashlinkAuthOptions,
  CashlinkDocumentsOptions,
  CashlinkHttpOptions,
  CashlinkModuleOptions,
  ResolvedCashlinkOptions,
} from './cashlink-module-options.interface';
import { checkBoolean, checkNumber, checkSecureUrl } from './option-checks';

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

/** Every option name the client core knows, by section; an unknown name is most likely a typo. */
const KNOWN_OPTIONS: Record<string, readonly string[]> = {
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
    'idempotency',
    'webhooks',
    'encryption',
    'personalData',
  ],
  auth: Object.keys(CASHLINK_OPTION_DEFAULTS.auth),
  http: Object.keys(CASHLINK_OPTION_DEFAULTS.http),
  documents: Object.keys(CASHLINK_OPTION_DEFAULTS.documents),
};

/**
 * Merges the defaults into `input` and validates everything at once. Throws one `CashlinkConfigError`
 * that lists every invalid option with how to fix it. Values of secrets never appear in a message.
 */
export function resolveCashlinkOptions(input: CashlinkModuleOptions): ResolvedCashlinkOptions {
  const problems: string[] = [];
  if (input === null || typeof input !== 'object') {
    throw new CashlinkConfigError([
      'options: expected an object (did the forRootAsync factory return nothing?)',
    ]);
  }
  const o = input as Partial<CashlinkModuleOptions> & Record<string, unknown>;
  unknownOptions(o, '', problems);

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

  let tokenAuthMethod: ResolvedCashlinkOptions['tokenAuthMethod'] = CASHLINK_OPTION_DEFAULTS.tokenAuthMethod;
  if (o.tokenAuthMethod !== undefined) {
    if (o.tokenAuthMethod === 'body' || o.tokenAuthMethod === 'basic') tokenAuthMethod = o.tokenAuthMethod;
    else
      problems.push(`tokenAuthMethod: must be 'body' (credentials in the form body) or 'basic' (HTTP Basic)`);
  }

  const auth = section(o.auth, 'auth', problems);
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

  const http = section(o.http, 'http', problems);
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

  const documents = section(o.documents, 'documents', problems);
  const resolvedDocuments = {
    maxSizeBytes: int('documents.maxSizeBytes', documents.maxSizeBytes, d.documents.maxSizeBytes, 1),
  };

  const idempotency = resolveIdempotencyOptions(o.idempotency, problems);
  const webhooks = resolveWebhooksOptions(o.webhooks, problems);
  const protection = resolveProtectionOptions(o.encryption, o.personalData, problems);

  if (problems.length > 0) throw new CashlinkConfigError(problems);

  const resolved: ResolvedCashlinkOptions = {
    environment: o.environment,
    baseUrl: base!.href,
    tokenUrl: token!.href,
    apiOrigin: base!.origin,
    apiBasePath: base!.path,
    allowInsecureHttp,
    clientId: o.clientId!,
    clientSecret: '',
    scopes,
    tokenAuthMethod,
    auth: resolvedAuth,
    http: resolvedHttp,
    documents: resolvedDocuments,
    idempotency,
    webhooks,
    protection,
  };
  // Not enumerable: `JSON.stringify`, `util.inspect` and a careless `logger.log(options)` skip it.
  Object.defineProperty(resolved, 'clientSecret', { value: o.clientSecret, enumerable: false });
  return Object.freeze(resolved);
}

function section<T extends object>(value: T | undefined, name: string, problems: string[]): Partial<T> {
  if (value === undefined) return {};
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    problems.push(`${name}: must be an object (or omitted for the defaults)`);
    return {};
  }
  unknownOptions(value as Record<string, unknown>, name, problems);
  return value;
}

/** One problem per unknown key, with the known option of the same name elsewhere when there is one. */
function unknownOptions(value: Record<string, unknown>, sectionName: string, problems: string[]): void {
  const known = KNOWN_OPTIONS[sectionName] ?? [];
  for (const key of Object.keys(value)) {
    if (known.includes(key)) continue;
    const name = sectionName ? `${sectionName}.${key}` : key;
    const match = Object.entries(KNOWN_OPTIONS).flatMap(([sec, keys]) =>
      keys.filter((k) => k.toLowerCase() === key.toLowerCase()).map((k) => (sec ? `${sec}.${k}` : k)),
    )[0];
    problems.push(
      `${name}: unknown option` + (match ? `; did you mean ${match}?` : `; known here: ${known.join(', ')}`),
    );
  }
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
