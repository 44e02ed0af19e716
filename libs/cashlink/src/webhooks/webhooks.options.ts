// Options are typed and documented here, defaults merged and validated once, in `resolveWebhooksOptions`,
// with the checks every options section shares.
import {
  checkBoolean,
  checkNumber,
  checkOneOf,
  checkSecret,
  checkSecureUrl,
  checkSection,
  checkString,
  checkUrlPath,
  hideSecrets,
  type OptionSections,
} from '../options/option-checks';
import type { AuthThrottleSettings } from './auth/auth-failure-guard';
import { BEARER_TOKEN_SYNTAX } from './auth/webhook-authenticator';

/**
 * Cashlink authenticates with a static bearer token that you give it. Several tokens can be
 * accepted at once so that a token can be rotated without downtime: add the new one, hand it to
 * Cashlink, then remove the old one.
 */
export interface CashlinkWebhooksBearerAuth {
  type: 'bearer';
  /**
   * Accepted tokens (at least one, each at least 32 characters of letters, digits and `-._~+/`,
   * optionally ending in `=`: the RFC 6750 syntax a Bearer header can carry). Compared in constant time.
   */
  tokens: string[];
}

/**
 * Cashlink authenticates with OAuth client credentials that you give it: it exchanges them at a
 * token endpoint served by this library (`tokenPath`, form-encoded client-credentials grant, as
 * Cashlink's own token endpoint) for a short-lived bearer token.
 *
 * Issued tokens are stateless HMAC-signed JWTs (HS256) whose key is derived from `signingSecret`
 * (or, without it, from `clientSecret`): every app instance sharing the same configuration accepts
 * them, and no instance keeps a memory of issued tokens.
 */
export interface CashlinkWebhooksOAuth2Auth {
  type: 'oauth2';
  /** The client id you hand to Cashlink. */
  clientId: string;
  /** The client secret you hand to Cashlink (at least 32 characters). Compared in constant time. */
  clientSecret: string;
  /**
   * Lifetime of issued tokens, in seconds.
   * @default 300
   */
  tokenTtlSeconds?: number;
  /**
   * Secret from which the token signing key is derived (at least 32 characters). Give it to rotate
   * the client secret without invalidating tokens already issued, or to keep the two apart.
   * @default derived from `clientSecret`
   */
  signingSecret?: string;
  /**
   * Path of the token endpoint (relative to the app root, like `path`).
   * @default `${path}/oauth/token`
   */
  tokenPath?: string;
  /**
   * The token endpoint refuses a client (its remote address) with 429 and `Retry-After` for `blockMs`
   * once it sent `maxFailures` wrong credentials within `blockMs`, so that the secret cannot be guessed
   * at network speed. Behind a reverse proxy every client has the proxy's address: keep the proxy's own
   * rate limit in front. `false` switches it off.
   * @default { maxFailures: 10, blockMs: 60000 }
   */
  throttle?: { maxFailures?: number; blockMs?: number } | false;
}

/**
 * Tokens issued by an external OAuth server that you operate (Cashlink fetches them there),
 * verified against its JWKS: signature, `iss`, `aud` and expiry.
 */
export interface CashlinkWebhooksJwtAuth {
  type: 'jwt';
  /** URL of the issuer's JSON Web Key Set: https, or http on a loopback host (see `allowInsecureHttp`). */
  jwksUrl: string;
  /** Expected `iss` claim. */
  issuer: string;
  /** Expected `aud` claim (one value, or several accepted values). */
  audience: string | string[];
  /**
   * Tolerated clock difference, in seconds, when checking `exp` and `nbf`.
   * @default 5
   */
  clockToleranceSeconds?: number;
  /**
   * Accept an `http://` `jwksUrl` on a host other than loopback. Whoever can alter the JWKS on the
   * way can mint webhooks that pass authentication: only for a JWKS inside a trusted network.
   * @default false
   */
  allowInsecureHttp?: boolean;
}

export type CashlinkWebhooksAuthOptions =
  CashlinkWebhooksBearerAuth | CashlinkWebhooksOAuth2Auth | CashlinkWebhooksJwtAuth;

/** Backoff between dispatch attempts of a row whose listener threw. */
export interface CashlinkWebhooksBackoffOptions {
  /**
   * Delay before the second attempt, in milliseconds.
   * @default 1000
   */
  initialDelayMs?: number;
  /**
   * Factor applied to the delay after each failed attempt.
   * @default 2
   */
  multiplier?: number;
  /**
   * Largest delay, in milliseconds.
   * @default 300000 (5 minutes)
   */
  maxDelayMs?: number;
}

/** How stored webhooks are dispatched to your `@OnEvent` listeners. */
export interface CashlinkWebhooksDispatchOptions {
  /**
   * How often the dispatcher looks for due rows, in milliseconds (it is also woken right after a
   * webhook is stored).
   * @default 1000
   */
  intervalMs?: number;
  /**
   * Rows claimed at once (one lease, one claim and one processed-mark statement per batch; the rows
   * are dispatched one after another). Larger batches cost less per row (on Postgres a batch of 100
   * took about a third of the app's CPU per row of a batch of 20); smaller
   * ones spread a backlog more finely across instances.
   * @default 100
   */
  batchSize?: number;
  /**
   * Dispatch attempts before a row is marked `dead` (then `CASHLINK_EVENTS.webhookDead` is emitted).
   * @default 8
   */
  maxAttempts?: number;
  backoff?: CashlinkWebhooksBackoffOptions;
  /**
   * How long a claimed row belongs to one instance without news from it, in milliseconds. While the
   * listeners of its batch run the lease is renewed every third of it (a heartbeat), so a slow listener
   * keeps its row; a crashed instance's rows are taken over by another one after at most this long.
   * @default 10000
   */
  leaseMs?: number;
  /**
   * Whether this instance runs the dispatcher at all. Turn it off on instances that should only
   * receive (another instance then dispatches).
   * @default true
   */
  enabled?: boolean;
}

/** The webhook receiver. `false` or absent (the default) mounts nothing. */
export interface CashlinkWebhooksOptions {
  /**
   * Path at which Cashlink posts status changes (relative to the app root; a global prefix applies).
   * @default 'cashlink/webhooks'
   */
  path?: string;
  /** How Cashlink authenticates. Required. */
  auth: CashlinkWebhooksAuthOptions;
  /**
   * Largest accepted body, in bytes; larger bodies are answered 413 and not stored.
   * @default 65536
   */
  maxBodyBytes?: number;
  dispatch?: CashlinkWebhooksDispatchOptions;
  /**
   * Fetch the current investment through `CashlinkInvestmentsService` and attach it to
   * `InvestmentStatusChangedEvent.investment` (a failed fetch retries the row like a failed listener).
   * @default false
   */
  fetchInvestment?: boolean;
  /**
   * How long `processed` rows are kept after they were processed, in milliseconds; the dispatcher
   * purges older ones about once an hour (also `CashlinkWebhooksService.purge()`). The latest change
   * of each investment is always kept, so that a late older change is still flagged `stale`; a
   * duplicate of a purged change arriving later is stored and dispatched again (flagged `stale`).
   * `dead` and `quarantined` rows are never purged. `false` keeps every row. At least one hour.
   * @default 2592000000 (30 days)
   */
  retentionMs?: number | false;
}

/** `tokens`, `clientSecret` and `signingSecret` are non-enumerable (kept out of logs and JSON). */
export type ResolvedWebhooksAuth =
  | { type: 'bearer'; tokens: string[] }
  | {
      type: 'oauth2';
      clientId: string;
      clientSecret: string;
      tokenTtlSeconds: number;
      signingSecret: string;
      tokenPath: string;
      throttle: AuthThrottleSettings | false;
    }
  | { type: 'jwt'; jwksUrl: string; issuer: string; audience: string[]; clockToleranceSeconds: number };

export interface ResolvedWebhooksOptions {
  enabled: boolean;
  path: string;
  /** Present when enabled. */
  auth: ResolvedWebhooksAuth | null;
  maxBodyBytes: number;
  dispatch: {
    enabled: boolean;
    intervalMs: number;
    batchSize: number;
    maxAttempts: number;
    backoff: { initialDelayMs: number; multiplier: number; maxDelayMs: number };
    leaseMs: number;
  };
  fetchInvestment: boolean;
  retentionMs: number | false;
}

const DEFAULT_PATH = 'cashlink/webhooks';
const MIN_SECRET_LENGTH = 32;

function defaults(): ResolvedWebhooksOptions {
  return {
    enabled: false,
    path: DEFAULT_PATH,
    auth: null,
    maxBodyBytes: 65536,
    dispatch: {
      enabled: true,
      intervalMs: 1000,
      batchSize: 100,
      maxAttempts: 8,
      backoff: { initialDelayMs: 1000, multiplier: 2, maxDelayMs: 300_000 },
      leaseMs: 10_000,
    },
    fetchInvestment: false,
    retentionMs: 30 * 24 * 3_600_000,
  };
}

/** Every option name of the webhooks section, by section. */
export const WEBHOOKS_OPTION_NAMES = {
  webhooks: ['path', 'auth', 'maxBodyBytes', 'dispatch', 'fetchInvestment', 'retentionMs'],
  'webhooks.dispatch': ['enabled', 'intervalMs', 'batchSize', 'maxAttempts', 'backoff', 'leaseMs'],
  'webhooks.dispatch.backoff': ['initialDelayMs', 'multiplier', 'maxDelayMs'],
} satisfies OptionSections;

/** Merges defaults and pushes one line per invalid option onto `problems`. Secrets never appear in a line. */
export function resolveWebhooksOptions(
  input: CashlinkWebhooksOptions | false | undefined,
  problems: string[],
  known: OptionSections = WEBHOOKS_OPTION_NAMES,
): ResolvedWebhooksOptions {
  const resolved = defaults();
  if (!input) return resolved;
  resolved.enabled = true;
  const o = checkSection(problems, 'webhooks', input, known, { orFalse: true });
  const int = (name: string, value: unknown, fallback: number, min: number): number =>
    checkNumber(problems, `webhooks.${name}`, value, fallback, { min });

  resolved.path = checkUrlPath(problems, 'webhooks.path', o.path, DEFAULT_PATH);
  resolved.maxBodyBytes = int('maxBodyBytes', o.maxBodyBytes, resolved.maxBodyBytes, 256);
  resolved.fetchInvestment = checkBoolean(problems, 'webhooks.fetchInvestment', o.fetchInvestment, false);
  if (o.retentionMs === false) resolved.retentionMs = false;
  else resolved.retentionMs = int('retentionMs', o.retentionMs, 30 * 24 * 3_600_000, 3_600_000);

  const d = checkSection(problems, 'webhooks.dispatch', o.dispatch, known);
  const rd = resolved.dispatch;
  rd.enabled = checkBoolean(problems, 'webhooks.dispatch.enabled', d.enabled, true);
  rd.intervalMs = int('dispatch.intervalMs', d.intervalMs, rd.intervalMs, 10);
  rd.batchSize = int('dispatch.batchSize', d.batchSize, rd.batchSize, 1);
  rd.maxAttempts = int('dispatch.maxAttempts', d.maxAttempts, rd.maxAttempts, 1);
  rd.leaseMs = int('dispatch.leaseMs', d.leaseMs, rd.leaseMs, 100);
  const b = checkSection(problems, 'webhooks.dispatch.backoff', d.backoff, known);
  rd.backoff.initialDelayMs = int(
    'dispatch.backoff.initialDelayMs',
    b.initialDelayMs,
    rd.backoff.initialDelayMs,
    0,
  );
  rd.backoff.multiplier = checkNumber(
    problems,
    'webhooks.dispatch.backoff.multiplier',
    b.multiplier,
    rd.backoff.multiplier,
    { min: 1, integer: false },
  );
  rd.backoff.maxDelayMs = int('dispatch.backoff.maxDelayMs', b.maxDelayMs, rd.backoff.maxDelayMs, 0);

  resolved.auth = resolveAuth(o.auth, resolved.path, problems);
  return resolved;
}

const SECRET_HINT = 'generate one with `openssl rand -hex 32`';

function resolveAuth(
  auth: CashlinkWebhooksAuthOptions | undefined,
  path: string,
  problems: string[],
): ResolvedWebhooksAuth | null {
  if (!auth || typeof auth !== 'object') {
    problems.push(
      "webhooks.auth: required when webhooks are enabled: { type: 'bearer', tokens } | { type: 'oauth2', clientId, clientSecret } | { type: 'jwt', jwksUrl, issuer, audience }",
    );
    return null;
  }
  const type = checkOneOf(problems, 'webhooks.auth.type', auth.type ?? '', 'bearer', [
    'bearer',
    'oauth2',
    'jwt',
  ]);
  if (type !== auth.type) return null;
  switch (auth.type) {
    case 'bearer': {
      const tokens: unknown[] = Array.isArray(auth.tokens) ? auth.tokens : [];
      if (tokens.length === 0) problems.push('webhooks.auth.tokens: must list at least one accepted token');
      tokens.forEach((token, i) =>
        checkSecret(problems, `webhooks.auth.tokens[${i}]`, token, {
          minLength: MIN_SECRET_LENGTH,
          pattern: BEARER_TOKEN_SYNTAX,
          hint: `only letters, digits and - . _ ~ + / (optionally ending in =), the characters an \`Authorization: Bearer\` header can carry (RFC 6750); ${SECRET_HINT}`,
        }),
      );
      return hideSecrets({ type: 'bearer' } as ResolvedWebhooksAuth, { tokens: [...tokens] });
    }
    case 'oauth2': {
      const clientId = checkString(problems, 'webhooks.auth.clientId', auth.clientId ?? '', '', {
        expected: 'a non-empty string (the client id you give Cashlink)',
      });
      checkSecret(problems, 'webhooks.auth.clientSecret', auth.clientSecret, {
        minLength: MIN_SECRET_LENGTH,
        hint: SECRET_HINT,
      });
      if (auth.signingSecret !== undefined) {
        checkSecret(problems, 'webhooks.auth.signingSecret', auth.signingSecret, {
          minLength: MIN_SECRET_LENGTH,
          hint: SECRET_HINT,
        });
      }
      const tokenTtlSeconds = checkNumber(
        problems,
        'webhooks.auth.tokenTtlSeconds',
        auth.tokenTtlSeconds,
        300,
        {
          min: 1,
          max: 86400,
        },
      );
      const tokenPath = checkUrlPath(
        problems,
        'webhooks.auth.tokenPath',
        auth.tokenPath,
        `${path}/oauth/token`,
      );
      if (tokenPath === path) problems.push('webhooks.auth.tokenPath: must differ from webhooks.path');
      let throttle: AuthThrottleSettings | false = { maxFailures: 10, blockMs: 60_000 };
      if (auth.throttle === false) throttle = false;
      else if (auth.throttle !== undefined) {
        if (auth.throttle === null || typeof auth.throttle !== 'object') {
          problems.push('webhooks.auth.throttle: must be { maxFailures?, blockMs? } or false');
        } else {
          const t = auth.throttle;
          throttle = {
            maxFailures: checkNumber(problems, 'webhooks.auth.throttle.maxFailures', t.maxFailures, 10, {
              min: 1,
            }),
            blockMs: checkNumber(problems, 'webhooks.auth.throttle.blockMs', t.blockMs, 60_000, { min: 1 }),
          };
        }
      }
      return hideSecrets(
        { type: 'oauth2', clientId, tokenTtlSeconds, tokenPath, throttle } as ResolvedWebhooksAuth,
        {
          clientSecret: String(auth.clientSecret ?? ''),
          signingSecret: String(auth.signingSecret ?? auth.clientSecret ?? ''),
        },
      );
    }
    case 'jwt': {
      const allowInsecureHttp = checkBoolean(
        problems,
        'webhooks.auth.allowInsecureHttp',
        auth.allowInsecureHttp,
        false,
      );
      // A JWKS fetched in clear text can be swapped on the way: the swapper then signs webhooks.
      checkSecureUrl(problems, 'webhooks.auth.jwksUrl', auth.jwksUrl, {
        allowInsecureHttp,
        insecureOption: 'webhooks.auth.allowInsecureHttp',
        example: 'https://issuer.example/.well-known/jwks.json',
      });
      const issuer = checkString(problems, 'webhooks.auth.issuer', auth.issuer ?? '', '', {
        expected: 'the expected `iss` claim (a non-empty string)',
      });
      const audience: unknown[] = Array.isArray(auth.audience) ? auth.audience : [auth.audience];
      if (audience.length === 0 || audience.some((a) => typeof a !== 'string' || a === '')) {
        problems.push(
          'webhooks.auth.audience: must be the expected `aud` claim (a non-empty string or list of them)',
        );
      }
      const clockToleranceSeconds = checkNumber(
        problems,
        'webhooks.auth.clockToleranceSeconds',
        auth.clockToleranceSeconds,
        5,
        { min: 0 },
      );
      return {
        type: 'jwt',
        jwksUrl: String(auth.jwksUrl),
        issuer,
        audience: audience.map(String),
        clockToleranceSeconds,
      };
    }
  }
}
