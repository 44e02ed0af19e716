/** JSON text read back from an intent row; undefined when absent (null) or not readable. */
export function parseStoredJson<T>(text: string | null): T | undefined {
  if (text === null) return undefined;
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}
