// Owned by the idempotency feature (issue 4).
import { createInstanceId, INSTANCE_ID_MAX_LENGTH } from '../common/instance-id';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** How long a pending intent waits before its next attempt (exponential, capped, with equal jitter). */
export interface CashlinkIntentBackoffOptions {
  /**
   * Delay after the first failed attempt.
   * @default 1000
   */
  initialDelayMs?: number;
  /**
   * Upper bound of any delay (a `Retry-After` from Cashlink is honoured up to this bound too).
   * @default 300000 (5 minutes)
   */
  maxDelayMs?: number;
  /**
   * Growth factor per attempt.
   * @default 2
   */
  multiplier?: number;
  /**
   * Equal jitter: a random delay between half the computed one and the computed one, so that many
   * instances retrying after an outage do not hit Cashlink in lockstep, yet an intent that just failed
   * never comes back almost at once. `false` waits exactly the computed delay.
   * @default true
   */
  jitter?: boolean;
}

/** The background worker that resumes due `pending` intents (after a crash, a lost answer or a 5xx). */
export interface CashlinkIntentRecoveryOptions {
  /**
   * How often the worker looks for due intents.
   * @default 10000
   */
  intervalMs?: number;
  /**
   * How many intents one run claims at most.
   * @default 50
   */
  batchSize?: number;
  /**
   * How many claimed intents one instance sends at the same time.
   * @default 5
   */
  concurrency?: number;
}

/**
 * Durable idempotent writes (see README "Durable idempotency"). `false` sends writes with an
 * `X-Idempotency-Key` but stores no intent (no recovery after a crash).
 */
export interface CashlinkIdempotencyOptions {
  /**
   * Age (since the intent was recorded) after which an unsettled intent is no longer sent and becomes
   * `expired`: it needs reconciliation by a human or by reading Cashlink. Assumption: Cashlink keeps
   * idempotency keys for at least 24 hours; after that a replay could create a second object, so this
   * must stay below Cashlink's real key retention.
   * @default 82800000 (23 hours)
   */
  maxAgeMs?: number;
  /**
   * How long a claim on an intent lasts. A process that dies while holding a claim loses it after this
   * time and another instance takes the intent over. Keep it above the longest attempt, or two
   * instances could send the same key at once (Cashlink would then answer 409 to the second, which
   * stays `pending`): about `(http.maxRetries + 4) × http.timeoutMs` (failed rounds, token fetches and
   * a 401 replay) plus `http.maxRetries × max(http.retryMaxDelayMs, http.maxRetryAfterMs)` (backoff and
   * 429 `Retry-After` waits). Start-up warns when it is shorter, computed from the module's `http`
   * options; a per-call `timeoutMs` or `maxRetries` is not known then, so size it for the largest you use.
   * With the default `http` options that is 390 s.
   * @default 600000 (10 minutes)
   */
  leaseMs?: number;
  /** Backoff between attempts of one intent. */
  backoff?: CashlinkIntentBackoffOptions;
  /**
   * The recovery worker, started on application bootstrap and stopped on shutdown. `false` switches
   * it off (call `CashlinkIntentsService.resumeDue()` yourself, e.g. from a scheduler).
   * @default { intervalMs: 10000, batchSize: 50, concurrency: 5 }
   */
  recovery?: CashlinkIntentRecoveryOptions | false;
  /**
   * How long `succeeded` and `failed` intents are kept after they settled; the recovery worker purges
   * older ones (also `CashlinkIntentsService.purge()`). `false` keeps them forever. Must not be shorter
   * than `maxAgeMs`. Purging keeps a small tombstone per key (key, request hash, state, timestamps), so a
   * key repeated after its intent was purged is never sent again: it throws `CashlinkIntentPurgedError`.
   * `expired` intents are never purged automatically (they need reconciliation).
   * @default 2592000000 (30 days)
   */
  retentionMs?: number | false;
  /**
   * Largest document (Buffer or stream) whose bytes are stored with the intent (base64) so that an
   * upload can be resent after a crash. A file path is stored as the path plus its SHA-256, checked
   * before resending. A larger stream is sent once; its intent records why it cannot be recovered.
   * @default 10485760 (10 MiB)
   */
  documentBytesLimit?: number;
  /**
   * Name of this process in leases (`lease_owner` holds `<instanceId>:<uuid>`, one uuid per claim).
   * Must be unique per running instance; at most 200 characters.
   * @default `<hostname>:<pid>:<random>` (hostname truncated to fit)
   */
  instanceId?: string;
  /**
   * 409 answers in a row after which an intent stops being retried and goes to `needs_review` (with the
   * reason), instead of being retried silently until `maxAgeMs`. Assumption (Cashlink's docs are
   * silent): 409 means the key is held for a request still running, or for another body; the first
   * clears within seconds, the second never does. With the default backoff, 8 conflicts span about 4 min.
   * @default 8
   */
  conflictBudget?: number;
}

/** The idempotency options with every default merged. */
export interface ResolvedIdempotencyOptions {
  enabled: boolean;
  maxAgeMs: number;
  leaseMs: number;
  backoff: Required<CashlinkIntentBackoffOptions>;
  recovery: Required<CashlinkIntentRecoveryOptions> | false;
  retentionMs: number | false;
  documentBytesLimit: number;
  instanceId: string;
  conflictBudget: number;
}

/** The defaults, in one place. */
export const IDEMPOTENCY_DEFAULTS = {
  maxAgeMs: 23 * HOUR,
  leaseMs: 10 * MINUTE,
  backoff: { initialDelayMs: SECOND, maxDelayMs: 5 * MINUTE, multiplier: 2, jitter: true },
  recovery: { intervalMs: 10 * SECOND, batchSize: 50, concurrency: 5 },
  retentionMs: 30 * DAY,
  documentBytesLimit: 10 * 1024 * 1024,
  conflictBudget: 8,
} as const;

function checkNumber(
  problems: string[],
  name: string,
  value: unknown,
  fallback: number,
  rule: { min: number; integer?: boolean; hint: string },
): number {
  if (value === undefined) return fallback;
  if (
    typeof value !== 'number' ||
    !Number.isFinite(value) ||
    value < rule.min ||
    (rule.integer === true && !Number.isInteger(value))
  ) {
    problems.push(`idempotency.${name} must be ${rule.hint} (got ${describe(value)}).`);
    return fallback;
  }
  return value;
}

function describe(value: unknown): string {
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value === 'string') return `a string`;
  if (value === null) return 'null';
  return typeof value;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Merges defaults and pushes one line per invalid option onto `problems`. */
export function resolveIdempotencyOptions(
  input: CashlinkIdempotencyOptions | false | undefined,
  problems: string[],
): ResolvedIdempotencyOptions {
  const instanceIdDefault = createInstanceId();
  const d = IDEMPOTENCY_DEFAULTS;
  if (input === false) {
    return {
      enabled: false,
      maxAgeMs: d.maxAgeMs,
      leaseMs: d.leaseMs,
      backoff: { ...d.backoff },
      recovery: false,
      retentionMs: d.retentionMs,
      documentBytesLimit: d.documentBytesLimit,
      instanceId: instanceIdDefault,
      conflictBudget: d.conflictBudget,
    };
  }
  if (input !== undefined && !isPlainObject(input)) {
    problems.push(`idempotency must be an object or false (got ${describe(input)}).`);
    input = undefined;
  }
  const o: CashlinkIdempotencyOptions = input ?? {};
  const ms = (min: number, hint: string) => ({ min, integer: true, hint });

  const maxAgeMs = checkNumber(
    problems,
    'maxAgeMs',
    o.maxAgeMs,
    d.maxAgeMs,
    ms(1, "a positive whole number of milliseconds (below Cashlink's key retention, assumed 24 h)"),
  );
  const leaseMs = checkNumber(
    problems,
    'leaseMs',
    o.leaseMs,
    d.leaseMs,
    ms(100, 'a whole number of milliseconds, at least 100'),
  );

  let backoff: Required<CashlinkIntentBackoffOptions> = { ...d.backoff };
  if (o.backoff !== undefined) {
    if (!isPlainObject(o.backoff)) {
      problems.push(`idempotency.backoff must be an object (got ${describe(o.backoff)}).`);
    } else {
      const b = o.backoff;
      backoff = {
        initialDelayMs: checkNumber(
          problems,
          'backoff.initialDelayMs',
          b.initialDelayMs,
          d.backoff.initialDelayMs,
          ms(0, 'a whole number of milliseconds, 0 or more'),
        ),
        maxDelayMs: checkNumber(
          problems,
          'backoff.maxDelayMs',
          b.maxDelayMs,
          d.backoff.maxDelayMs,
          ms(0, 'a whole number of milliseconds, 0 or more'),
        ),
        multiplier: checkNumber(problems, 'backoff.multiplier', b.multiplier, d.backoff.multiplier, {
          min: 1,
          hint: 'a number, 1 or more',
        }),
        jitter: (b.jitter ?? d.backoff.jitter) as boolean,
      };
      if (typeof backoff.jitter !== 'boolean') {
        problems.push(`idempotency.backoff.jitter must be true or false (got ${describe(backoff.jitter)}).`);
        backoff.jitter = d.backoff.jitter;
      }
      if (backoff.maxDelayMs < backoff.initialDelayMs) {
        problems.push(
          `idempotency.backoff.maxDelayMs (${backoff.maxDelayMs}) must not be below backoff.initialDelayMs (${backoff.initialDelayMs}).`,
        );
      }
    }
  }

  let recovery: Required<CashlinkIntentRecoveryOptions> | false = { ...d.recovery };
  if (o.recovery === false) {
    recovery = false;
  } else if (o.recovery !== undefined) {
    if (!isPlainObject(o.recovery)) {
      problems.push(`idempotency.recovery must be an object or false (got ${describe(o.recovery)}).`);
    } else {
      const r = o.recovery;
      recovery = {
        intervalMs: checkNumber(
          problems,
          'recovery.intervalMs',
          r.intervalMs,
          d.recovery.intervalMs,
          ms(10, 'a whole number of milliseconds, at least 10'),
        ),
        batchSize: checkNumber(
          problems,
          'recovery.batchSize',
          r.batchSize,
          d.recovery.batchSize,
          ms(1, 'a whole number, at least 1'),
        ),
        concurrency: checkNumber(
          problems,
          'recovery.concurrency',
          r.concurrency,
          d.recovery.concurrency,
          ms(1, 'a whole number, at least 1'),
        ),
      };
    }
  }

  let retentionMs: number | false;
  if (o.retentionMs === false) {
    retentionMs = false;
  } else {
    retentionMs = checkNumber(
      problems,
      'retentionMs',
      o.retentionMs,
      d.retentionMs,
      ms(1, 'a positive whole number of milliseconds, or false to keep settled intents'),
    );
    if (retentionMs < maxAgeMs) {
      problems.push(
        `idempotency.retentionMs (${retentionMs}) must not be below idempotency.maxAgeMs (${maxAgeMs}): a repeat of a key while Cashlink still knows it would find the outcome purged (CashlinkIntentPurgedError) instead of getting it.`,
      );
    }
  }

  const documentBytesLimit = checkNumber(
    problems,
    'documentBytesLimit',
    o.documentBytesLimit,
    d.documentBytesLimit,
    ms(0, 'a whole number of bytes, 0 or more'),
  );

  const conflictBudget = checkNumber(problems, 'conflictBudget', o.conflictBudget, d.conflictBudget, {
    min: 1,
    integer: true,
    hint: 'a whole number of 409 answers, 1 or more',
  });

  let instanceId = instanceIdDefault;
  if (o.instanceId !== undefined) {
    if (
      typeof o.instanceId !== 'string' ||
      o.instanceId.length === 0 ||
      o.instanceId.length > INSTANCE_ID_MAX_LENGTH
    ) {
      problems.push(
        `idempotency.instanceId must be a non-empty string of at most ${INSTANCE_ID_MAX_LENGTH} characters.`,
      );
    } else {
      instanceId = o.instanceId;
    }
  }

  return {
    enabled: true,
    maxAgeMs,
    leaseMs,
    backoff,
    recovery,
    retentionMs,
    documentBytesLimit,
    instanceId,
    conflictBudget,
  };
}
