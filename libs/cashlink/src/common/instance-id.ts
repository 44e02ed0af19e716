import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';

/**
 * Longest instance id the library builds or accepts: leaves room in a `varchar(255)` lease column for
 * a per-claim suffix (`:<uuid>`, 37 characters) appended to it.
 */
export const INSTANCE_ID_MAX_LENGTH = 200;

/**
 * A name for this process in lease columns, unique per running instance and readable by a human:
 * `<hostname>:<pid>:<8 random hex>`. The random part tells apart two processes that reuse a pid
 * (containers often all run as pid 1). The hostname is truncated so the whole id fits `maxLength`.
 */
export function createInstanceId(maxLength = INSTANCE_ID_MAX_LENGTH): string {
  const tail = `:${process.pid}:${randomUUID().slice(0, 8)}`;
  const room = maxLength - tail.length;
  if (room < 1) {
    throw new RangeError(`An instance id needs at least ${tail.length + 1} characters (got ${maxLength})`);
  }
  return `${hostname().slice(0, room)}${tail}`;
}
