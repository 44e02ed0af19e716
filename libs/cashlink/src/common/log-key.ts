import { createHash } from 'node:crypto';

/**
 * How an idempotency key appears in a log line: a short hash (`key#3f9a1c07b2e4`). An app may use an
 * e-mail address or a customer number as its key; the hash still lets an operator match the lines of
 * one write with each other and with `logKey(theirKey)`, without the key itself in the logs.
 */
export function logKey(key: string): string {
  return `key#${createHash('sha256').update(key, 'utf8').digest('hex').slice(0, 12)}`;
}
