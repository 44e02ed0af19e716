import { checkBoolean, checkNumber, checkSection, type OptionSections } from '../options/option-checks';

/** How the durable event log delivers events to `@OnCashlinkEvent` handlers. */
export interface CashlinkEventsOptions {
  dispatch?: {
    /** Whether this instance delivers at all (another instance then does). @default true */
    enabled?: boolean;
    /** How often the dispatcher looks for due events, in ms (it is also woken after a change is stored). @default 500 */
    intervalMs?: number;
    /** Events claimed at once. @default 50 */
    batchSize?: number;
    /**
     * How long a claimed event belongs to one instance without news from it, in ms. While its handlers
     * run the lease is renewed every third of it (a heartbeat), so a slow handler keeps it; a crashed
     * instance's events are taken over by another one after at most this long.
     * @default 10000
     */
    leaseMs?: number;
    /** Attempts of one handler for one event before its delivery is `dead`. @default 8 */
    maxAttempts?: number;
    /** Backoff between attempts of a failing handler: initial × multiplier^(attempt−1), capped. */
    backoff?: { initialDelayMs?: number; multiplier?: number; maxDelayMs?: number };
  };
  /** How long done events are kept, in ms, or `false` to keep them. @default 2592000000 (30 days) */
  retentionMs?: number | false;
}

export interface ResolvedEventsOptions {
  dispatch: {
    enabled: boolean;
    intervalMs: number;
    batchSize: number;
    leaseMs: number;
    maxAttempts: number;
    backoff: { initialDelayMs: number; multiplier: number; maxDelayMs: number };
  };
  retentionMs: number | false;
}

export const EVENTS_DEFAULTS: ResolvedEventsOptions = {
  dispatch: {
    enabled: true,
    intervalMs: 500,
    batchSize: 50,
    leaseMs: 10_000,
    maxAttempts: 8,
    backoff: { initialDelayMs: 1000, multiplier: 2, maxDelayMs: 300_000 },
  },
  retentionMs: 30 * 24 * 3_600_000,
};

/** The option names of the section, for the unknown-option check. */
export const EVENTS_OPTION_NAMES = {
  events: ['dispatch', 'retentionMs'],
  'events.dispatch': ['enabled', 'intervalMs', 'batchSize', 'leaseMs', 'maxAttempts', 'backoff'],
  'events.dispatch.backoff': ['initialDelayMs', 'multiplier', 'maxDelayMs'],
} satisfies OptionSections;

/** Merges defaults and pushes one line per invalid option onto `problems`. */
export function resolveEventsOptions(
  input: CashlinkEventsOptions | undefined,
  problems: string[],
  known: OptionSections = EVENTS_OPTION_NAMES,
): ResolvedEventsOptions {
  const d = EVENTS_DEFAULTS.dispatch;
  const o = checkSection(problems, 'events', input, known);
  const i = checkSection(problems, 'events.dispatch', o.dispatch, known);
  const b = checkSection(problems, 'events.dispatch.backoff', i.backoff, known);
  const n = (name: string, value: unknown, fallback: number, min: number, integer = true) =>
    checkNumber(problems, `events.${name}`, value, fallback, { min, integer });
  return {
    dispatch: {
      enabled: checkBoolean(problems, 'events.dispatch.enabled', i.enabled, d.enabled),
      intervalMs: n('dispatch.intervalMs', i.intervalMs, d.intervalMs, 10),
      batchSize: n('dispatch.batchSize', i.batchSize, d.batchSize, 1),
      leaseMs: n('dispatch.leaseMs', i.leaseMs, d.leaseMs, 300),
      maxAttempts: n('dispatch.maxAttempts', i.maxAttempts, d.maxAttempts, 1),
      backoff: {
        initialDelayMs: n('dispatch.backoff.initialDelayMs', b.initialDelayMs, d.backoff.initialDelayMs, 0),
        multiplier: n('dispatch.backoff.multiplier', b.multiplier, d.backoff.multiplier, 1, false),
        maxDelayMs: n('dispatch.backoff.maxDelayMs', b.maxDelayMs, d.backoff.maxDelayMs, 0),
      },
    },
    retentionMs:
      o.retentionMs === false
        ? false
        : n('retentionMs', o.retentionMs, EVENTS_DEFAULTS.retentionMs as number, 60_000),
  };
}
