import { createInstanceId, INSTANCE_ID_MAX_LENGTH } from '../common/instance-id';
import {
  checkBoolean,
  checkNumber,
  checkSection,
  checkString,
  type OptionSections,
} from '../options/option-checks';

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
   * How long a claim on an intent lasts without news from its holder. While an attempt is in flight the
   * holder renews it every third of this time (a heartbeat), so a slow call keeps its claim however long
   * it takes; a process that dies loses it after at most this time, and another instance resumes the
   * intent at its next recovery run (`recovery.intervalMs`): within about 7 s with the defaults. A
   * caller waiting for an intent another instance is sending waits as long as that instance renews.
   * @default 5000
   */
  leaseMs?: number;
  /** Backoff between attempts of one intent. */
  backoff?: CashlinkIntentBackoffOptions;
  /**
   * The recovery worker, started on application bootstrap and stopped on shutdown. `false` switches
   * it off (call `CashlinkIntentsService.resumeDue()` yourself, e.g. from a scheduler).
   * @default { intervalMs: 2000, batchSize: 50, concurrency: 5 }
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
   * clears within seconds, the second never does. With the default backoff, 8 conflicts in a row span about 1 to 2 minutes.
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
  leaseMs: 5 * SECOND,
  backoff: { initialDelayMs: SECOND, maxDelayMs: 5 * MINUTE, multiplier: 2, jitter: true },
  recovery: { intervalMs: 2 * SECOND, batchSize: 50, concurrency: 5 },
  retentionMs: 30 * DAY,
  documentBytesLimit: 10 * 1024 * 1024,
  conflictBudget: 8,
} as const;

/** Every option name of the idempotency section, by section. */
export const IDEMPOTENCY_OPTION_NAMES = {
  idempotency: [...Object.keys(IDEMPOTENCY_DEFAULTS), 'instanceId'],
  'idempotency.backoff': Object.keys(IDEMPOTENCY_DEFAULTS.backoff),
  'idempotency.recovery': Object.keys(IDEMPOTENCY_DEFAULTS.recovery),
} satisfies OptionSections;

/** Merges defaults and pushes one line per invalid option onto `problems` (the shared checks' format). */
export function resolveIdempotencyOptions(
  input: CashlinkIdempotencyOptions | false | undefined,
  problems: string[],
  known: OptionSections = IDEMPOTENCY_OPTION_NAMES,
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
  const o = checkSection(problems, 'idempotency', input, known, { orFalse: true });
  const num = (name: string, value: unknown, fallback: number, min: number, integer = true) =>
    checkNumber(problems, `idempotency.${name}`, value, fallback, { min, integer });

  const maxAgeMs = num('maxAgeMs', o.maxAgeMs, d.maxAgeMs, 1);
  const leaseMs = num('leaseMs', o.leaseMs, d.leaseMs, 100);

  const b = checkSection(problems, 'idempotency.backoff', o.backoff, known);
  const backoff: Required<CashlinkIntentBackoffOptions> = {
    initialDelayMs: num('backoff.initialDelayMs', b.initialDelayMs, d.backoff.initialDelayMs, 0),
    maxDelayMs: num('backoff.maxDelayMs', b.maxDelayMs, d.backoff.maxDelayMs, 0),
    multiplier: num('backoff.multiplier', b.multiplier, d.backoff.multiplier, 1, false),
    jitter: checkBoolean(problems, 'idempotency.backoff.jitter', b.jitter, d.backoff.jitter),
  };
  if (backoff.maxDelayMs < backoff.initialDelayMs) {
    problems.push(
      `idempotency.backoff.maxDelayMs: must be at least idempotency.backoff.initialDelayMs (${backoff.initialDelayMs}); raise it or lower the initial delay`,
    );
  }

  let recovery: Required<CashlinkIntentRecoveryOptions> | false = false;
  if (o.recovery !== false) {
    const r = checkSection(problems, 'idempotency.recovery', o.recovery, known, { orFalse: true });
    recovery = {
      intervalMs: num('recovery.intervalMs', r.intervalMs, d.recovery.intervalMs, 10),
      batchSize: num('recovery.batchSize', r.batchSize, d.recovery.batchSize, 1),
      concurrency: num('recovery.concurrency', r.concurrency, d.recovery.concurrency, 1),
    };
  }

  let retentionMs: number | false = false;
  if (o.retentionMs !== false) {
    retentionMs = num('retentionMs', o.retentionMs, d.retentionMs, 1);
    if (retentionMs < maxAgeMs) {
      problems.push(
        `idempotency.retentionMs: must be at least idempotency.maxAgeMs (${maxAgeMs}), or false to keep settled intents: a repeat of a key while Cashlink still knows it would find the outcome purged (CashlinkIntentPurgedError) instead of getting it`,
      );
    }
  }

  const documentBytesLimit = num('documentBytesLimit', o.documentBytesLimit, d.documentBytesLimit, 0);
  const conflictBudget = num('conflictBudget', o.conflictBudget, d.conflictBudget, 1);
  const instanceId = checkString(problems, 'idempotency.instanceId', o.instanceId, instanceIdDefault, {
    maxLength: INSTANCE_ID_MAX_LENGTH,
    expected: `a non-empty string of at most ${INSTANCE_ID_MAX_LENGTH} characters`,
  });

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
