/**
 * The checks every options section shares (client core, idempotency, webhooks): each takes the option's
 * full name (e.g. `'http.timeoutMs'`), pushes one line onto `problems` when the value is invalid, and
 * returns the fallback then, so that start-up lists every problem at once. A line names the option,
 * says what is expected and how to fix it, and never echoes a value that could be a secret.
 */

/** Hosts on which plain `http://` is accepted without `allowInsecureHttp` (a local emulator or issuer). */
export const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Whether `hostname` (as `URL.hostname` gives it) is a loopback host. */
export function isLoopbackHost(hostname: string): boolean {
  return LOOPBACK_HOSTS.has(hostname);
}

/** What a number option must be. */
export interface NumberRule {
  /** Smallest accepted value. */
  min: number;
  /** Largest accepted value. @default Number.MAX_SAFE_INTEGER */
  max?: number;
  /** Whole numbers only. @default true */
  integer?: boolean;
}

/** A number in `[min, max]` (whole unless `integer: false`; never NaN or infinite); `fallback` when undefined. */
export function checkNumber(
  problems: string[],
  name: string,
  value: unknown,
  fallback: number,
  rule: NumberRule,
): number {
  if (value === undefined) return fallback;
  const { min, max = Number.MAX_SAFE_INTEGER, integer = true } = rule;
  if (
    typeof value !== 'number' ||
    !Number.isFinite(value) ||
    (integer && !Number.isInteger(value)) ||
    value < min ||
    value > max
  ) {
    const kind = integer ? 'a whole number' : 'a number';
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `between ${min} and ${max}`;
    problems.push(`${name}: must be ${kind} ${range} (default ${fallback}); omit it for the default`);
    return fallback;
  }
  return value;
}

/** `true` or `false`; `fallback` when undefined. */
export function checkBoolean(problems: string[], name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') {
    problems.push(`${name}: must be true or false`);
    return fallback;
  }
  return value;
}

/** How `checkSecureUrl` judges a URL. */
export interface SecureUrlRule {
  /** Accept `http://` on any host (an emulator in a container); loopback hosts are always accepted. */
  allowInsecureHttp: boolean;
  /** The option that sets `allowInsecureHttp`, named in the message. @default 'allowInsecureHttp' */
  insecureOption?: string;
  /** An example shown when the value is not an absolute URL. @default 'https://...' */
  example?: string;
  /** Refuse a query or a fragment too (a base URL that paths are appended to). @default false */
  bare?: boolean;
}

/**
 * An absolute `https://` URL, or `http://` on a loopback host (or anywhere with `allowInsecureHttp`),
 * without user info (a credential in configuration). The URL itself is never echoed in a message.
 * Returns the parsed URL, or undefined after pushing a problem.
 */
export function checkSecureUrl(
  problems: string[],
  name: string,
  value: unknown,
  rule: SecureUrlRule,
): URL | undefined {
  let parsed: URL;
  try {
    if (typeof value !== 'string') throw new TypeError();
    parsed = new URL(value);
  } catch {
    problems.push(`${name}: must be an absolute URL such as ${rule.example ?? 'https://...'}`);
    return undefined;
  }
  if (parsed.username || parsed.password || (rule.bare && (parsed.search || parsed.hash))) {
    problems.push(`${name}: must not contain user info` + (rule.bare ? ', a query or a fragment' : ''));
    return undefined;
  }
  if (parsed.protocol !== 'https:') {
    if (parsed.protocol !== 'http:' || !(isLoopbackHost(parsed.hostname) || rule.allowInsecureHttp)) {
      problems.push(
        `${name}: must use https (http is accepted for loopback hosts, or anywhere with ${rule.insecureOption ?? 'allowInsecureHttp'}: true)`,
      );
      return undefined;
    }
  }
  return parsed;
}
