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

/** Every option name, by section (`''` is the top level, `'http'`, `'webhooks.dispatch'`, …). */
export type OptionSections = Record<string, readonly string[]>;

/**
 * One problem per unknown key of `value` (the section `sectionName`), naming the known option of the
 * same name elsewhere when there is one: an unknown name is most likely a typo.
 */
export function checkUnknownOptions(
  problems: string[],
  sectionName: string,
  value: Record<string, unknown>,
  known: OptionSections,
): void {
  const here = known[sectionName];
  if (here === undefined) return;
  for (const key of Object.keys(value)) {
    if (here.includes(key)) continue;
    const name = sectionName ? `${sectionName}.${key}` : key;
    const match = Object.entries(known).flatMap(([section, keys]) =>
      keys.filter((k) => k.toLowerCase() === key.toLowerCase()).map((k) => (section ? `${section}.${k}` : k)),
    )[0];
    problems.push(
      `${name}: unknown option` + (match ? `; did you mean ${match}?` : `; known here: ${here.join(', ')}`),
    );
  }
}

/** Whether `value` is a plain object (not null, not an array). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * An options section: a plain object (its unknown keys reported), or `{}` when undefined or invalid.
 * With `orFalse`, the message says that `false` is accepted too (the caller handles `false` first).
 */
export function checkSection<T extends object>(
  problems: string[],
  name: string,
  value: T | undefined,
  known: OptionSections,
  rule: { orFalse?: boolean } = {},
): Partial<T> {
  if (value === undefined) return {};
  if (!isPlainObject(value)) {
    problems.push(
      `${name}: must be an object${rule.orFalse ? ' or false' : ''} (or omitted for the defaults)`,
    );
    return {};
  }
  checkUnknownOptions(problems, name, value, known);
  return value as Partial<T>;
}

/** A string (non-empty, at most `maxLength`, matching `pattern`); `fallback` when undefined. */
export function checkString(
  problems: string[],
  name: string,
  value: unknown,
  fallback: string,
  rule: { maxLength?: number; pattern?: RegExp; expected: string },
): string {
  if (value === undefined) return fallback;
  if (
    typeof value !== 'string' ||
    value.trim() === '' ||
    (rule.maxLength !== undefined && value.length > rule.maxLength) ||
    (rule.pattern !== undefined && !rule.pattern.test(value))
  ) {
    problems.push(`${name}: must be ${rule.expected}`);
    return fallback;
  }
  return value;
}

/** One of `allowed`; `fallback` when undefined. */
export function checkOneOf<T extends string>(
  problems: string[],
  name: string,
  value: unknown,
  fallback: T,
  allowed: readonly T[],
): T {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    problems.push(`${name}: must be ${allowed.map((a) => `'${a}'`).join(' or ')}`);
    return fallback;
  }
  return value as T;
}

/** A secret of at least `minLength` characters (matching `pattern`). Never echoed; `undefined` when invalid. */
export function checkSecret(
  problems: string[],
  name: string,
  value: unknown,
  rule: { minLength: number; pattern?: RegExp; hint?: string },
): string | undefined {
  if (
    typeof value !== 'string' ||
    value.length < rule.minLength ||
    (rule.pattern !== undefined && !rule.pattern.test(value))
  ) {
    problems.push(
      `${name}: must be a string of at least ${rule.minLength} characters${rule.hint ? `, ${rule.hint}` : ''}`,
    );
    return undefined;
  }
  return value;
}

/** A URL path without query, spaces or wildcards, without leading and trailing slashes; `fallback` when undefined. */
export function checkUrlPath(problems: string[], name: string, value: unknown, fallback: string): string {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || trimSlashes(value) === '' || /[?#\s*:]/.test(value)) {
    problems.push(
      `${name}: must be a non-empty URL path without query, spaces or wildcards, e.g. '${fallback}'`,
    );
    return fallback;
  }
  return trimSlashes(value);
}

function trimSlashes(path: string): string {
  return path.replace(/^\/+/, '').replace(/\/+$/, '');
}

/**
 * Makes secret fields non-enumerable: `JSON.stringify`, `util.inspect` and a careless
 * `logger.log(options)` then skip them.
 */
export function hideSecrets<T extends object>(target: T, secrets: Record<string, unknown>): T {
  for (const [key, value] of Object.entries(secrets)) {
    Object.defineProperty(target, key, { value, enumerable: false });
  }
  return target;
}
