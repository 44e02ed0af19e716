/**
 * One path segment from an id: percent-encoded (no path injection). Refused with a `TypeError` when
 * empty, or `.` / `..`: percent-encoding leaves dots as they are, and a dot segment would address
 * another resource (`/v2/investors/../` is the collection). Resource methods call this before the
 * write reaches the executor, so a refused id is neither recorded as an intent nor sent.
 */
export function idSegment(id: string, what: string): string {
  if (typeof id !== 'string' || id.trim() === '') throw new TypeError(`${what} must be a non-empty string`);
  if (id === '.' || id === '..') throw new TypeError(`${what} must not be '.' or '..' (got '${id}')`);
  return encodeURIComponent(id);
}
