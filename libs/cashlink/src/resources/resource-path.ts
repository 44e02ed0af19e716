/** One path segment from an id: refused when empty, percent-encoded otherwise (no path injection). */
export function idSegment(id: string, what: string): string {
  if (typeof id !== 'string' || id.trim() === '') throw new TypeError(`${what} must be a non-empty string`);
  return encodeURIComponent(id);
}
