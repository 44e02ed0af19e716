import { createHash } from 'node:crypto';

/** A valid status change as Cashlink sends it (contract §5), with `changed_at` normalised. */
export interface WebhookStatusChange {
  investmentId: string;
  status: string;
  /** UTC, fixed width (`YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ`): equal instants give equal strings, strings sort in time order. */
  changedAt: string;
}

export type WebhookStatusChangeParse =
  { ok: true; change: WebhookStatusChange } | { ok: false; reason: string };

// assumed: Cashlink's investment ids are UUIDs (contract §5 shows "<uuid>"); any short token of
// letters, digits, '-' and '_' is accepted so that another id format is not quarantined.
const INVESTMENT_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
// Statuses unknown today are accepted (forward compatible, contract §4.6) as long as they look like one.
const STATUS = /^[A-Z][A-Z0-9_]{0,63}$/;
const ISO_8601 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,9}))?(Z|[+-]\d{2}:?\d{2})$/;

/**
 * Normalises an ISO 8601 timestamp with a time zone to UTC with nine fraction digits, keeping
 * sub-millisecond precision (a JS Date would drop it, and two distinct changes within one
 * millisecond would then share a dedupe key). Returns null when the value is not such a timestamp.
 */
export function normaliseChangedAt(value: string): string | null {
  const m = ISO_8601.exec(value);
  if (!m) return null;
  const [, y, mo, d, h, mi, s, fraction = '', zone] = m as unknown as string[];
  const base = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  const check = new Date(base);
  if (
    check.getUTCFullYear() !== Number(y) ||
    check.getUTCMonth() !== Number(mo) - 1 ||
    check.getUTCDate() !== Number(d) ||
    Number(h) > 23 ||
    Number(mi) > 59 ||
    Number(s) > 59
  ) {
    return null;
  }
  let offsetMs = 0;
  if (zone && zone !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    const oh = Number(digits.slice(0, 2));
    const om = Number(digits.slice(2, 4));
    if (oh > 23 || om > 59) return null;
    offsetMs = sign * (oh * 60 + om) * 60_000;
  }
  const utc = new Date(base - offsetMs).toISOString().slice(0, 19);
  return `${utc}.${fraction.padEnd(9, '0')}Z`;
}

/**
 * A normalised `changed_at` as ISO 8601 UTC with at least millisecond digits and any finer digits
 * Cashlink sent (e.g. `2026-01-01T10:00:00.123Z`, `2026-01-01T10:00:00.123456Z`); `new Date()` reads it.
 */
export function changedAtToIso(normalised: string): string {
  const fraction = normalised.slice(20, 29).replace(/0+$/, '').padEnd(3, '0');
  return `${normalised.slice(0, 19)}.${fraction}Z`;
}

/** Validates a parsed JSON body as a status change. The reason never quotes the body's values. */
export function parseStatusChange(body: unknown): WebhookStatusChangeParse {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { ok: false, reason: 'body is not a JSON object' };
  }
  const record = body as Record<string, unknown>;
  const { investment_id: investmentId, status, changed_at: changedAt } = record;
  if (typeof investmentId !== 'string' || !INVESTMENT_ID.test(investmentId)) {
    return { ok: false, reason: 'investment_id is missing or not an id' };
  }
  if (typeof status !== 'string' || !STATUS.test(status)) {
    return { ok: false, reason: 'status is missing or not an upper-case status name' };
  }
  const normalised = typeof changedAt === 'string' ? normaliseChangedAt(changedAt) : null;
  if (!normalised) {
    return { ok: false, reason: 'changed_at is missing or not an ISO 8601 timestamp with a time zone' };
  }
  return { ok: true, change: { investmentId, status, changedAt: normalised } };
}

/** sha256 of `investment_id|status|changed_at` (normalised): equal changes, equal keys. */
export function statusChangeDedupeKey(change: WebhookStatusChange): string {
  return createHash('sha256')
    .update(`${change.investmentId}|${change.status}|${change.changedAt}`)
    .digest('hex');
}

/** Dedupe key of a quarantined body: identical junk is kept once. */
export function quarantineDedupeKey(rawBody: string): string {
  return createHash('sha256').update(`quarantine|${rawBody}`).digest('hex');
}
