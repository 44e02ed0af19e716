import { checkNumber, checkSection, isPlainObject, type OptionSections } from '../options/option-checks';

const DAY = 24 * 60 * 60 * 1000;

/** A key id: short, printable, and free of the separator the stored values use. */
const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;

/**
 * Encryption at rest of every stored value that can carry investor data (intent requests, answers and
 * errors, document bytes, quarantined webhook bodies), with AES-256-GCM. See docs/personal-data.md.
 */
export interface CashlinkEncryptionOptions {
  /**
   * The key ring: key id → 32-byte key, as base64 (44 characters) or bytes. Every id found in the
   * stored rows must be here, or start-up fails. Generate a key with
   * `openssl rand -base64 32`.
   * Ids: 1-32 characters of `A-Z a-z 0-9 _ -`.
   */
  keys: Readonly<Record<string, string | Uint8Array>>;
  /** The id (in `keys`) that encrypts new values. Older ids only decrypt. */
  activeKeyId: string;
}

/** How long personal data is kept in rows the library keeps for their keys or for inspection. */
export interface CashlinkPersonalDataOptions {
  /**
   * Age after which the bodies of `expired` and `failed` intents (request, answer, error) and of
   * `dead` and `quarantined` webhook rows (raw body, listener error) are erased; the rows stay (keys,
   * hashes, states, times), so a repeated key is still refused. Counted from settlement (intents) or
   * receipt (webhook rows). `false` keeps them until erased by hand.
   * @default 7776000000 (90 days)
   */
  retentionMs?: number | false;
  /**
   * How often the retention runs (in every instance; each run is a few bounded UPDATEs).
   * @default 3600000 (1 hour)
   */
  retentionIntervalMs?: number;
}

/** The resolved protection options: the keys as 32-byte buffers (kept out of enumeration). */
export interface ResolvedProtectionOptions {
  /** False with `encryption: false` (values stored in clear; start-up warns). */
  enabled: boolean;
  /** Undefined when the option was not given at all (persistence then refuses to start). */
  configured: boolean;
  activeKeyId: string;
  keys: ReadonlyMap<string, Buffer>;
  retentionMs: number | false;
  retentionIntervalMs: number;
}

export const PERSONAL_DATA_DEFAULTS = { retentionMs: 90 * DAY, retentionIntervalMs: 60 * 60 * 1000 };

/** Validates `encryption` and `personalData`; pushes one line per problem, never a key's value. */
/** Every option name of the encryption and personal-data sections, by section. */
export const PROTECTION_OPTION_NAMES = {
  encryption: ['keys', 'activeKeyId'],
  personalData: ['retentionMs', 'retentionIntervalMs'],
} satisfies OptionSections;

export function resolveProtectionOptions(
  encryption: unknown,
  personalData: unknown,
  problems: string[],
  known: OptionSections = PROTECTION_OPTION_NAMES,
): ResolvedProtectionOptions {
  const keys = new Map<string, Buffer>();
  let activeKeyId = '';
  let enabled = false;
  const configured = encryption !== undefined;
  if (encryption !== undefined && encryption !== false) {
    enabled = true;
    if (!isPlainObject(encryption)) {
      problems.push('encryption: must be { keys, activeKeyId } or false');
    } else {
      const e = checkSection(problems, 'encryption', encryption as Partial<CashlinkEncryptionOptions>, known);
      if (e.keys === null || typeof e.keys !== 'object' || Object.keys(e.keys).length === 0) {
        problems.push(
          'encryption.keys: required, an object { keyId: base64 32-byte key } with at least one key',
        );
      } else {
        for (const [id, raw] of Object.entries(e.keys)) {
          if (!KEY_ID.test(id)) {
            problems.push(
              `encryption.keys: a key id must be 1-32 characters of A-Z a-z 0-9 _ - (one is not)`,
            );
            continue;
          }
          const key = decodeKey(raw);
          if (!key) {
            problems.push(
              `encryption.keys.${id}: must be 32 bytes, as base64 (44 characters) or a Buffer; ` +
                'generate one with openssl rand -base64 32',
            );
            continue;
          }
          keys.set(id, key);
        }
      }
      if (typeof e.activeKeyId !== 'string' || !KEY_ID.test(e.activeKeyId)) {
        problems.push('encryption.activeKeyId: required, the id in encryption.keys that encrypts new values');
      } else if (e.keys && typeof e.keys === 'object' && !(e.activeKeyId in e.keys)) {
        problems.push(`encryption.activeKeyId: "${e.activeKeyId}" is not a key id in encryption.keys`);
      } else {
        activeKeyId = e.activeKeyId;
      }
    }
  }
  let retentionMs: number | false = PERSONAL_DATA_DEFAULTS.retentionMs;
  let retentionIntervalMs = PERSONAL_DATA_DEFAULTS.retentionIntervalMs;
  if (personalData !== undefined) {
    const p = checkSection(problems, 'personalData', personalData as CashlinkPersonalDataOptions, known);
    {
      retentionMs =
        p.retentionMs === false
          ? false
          : checkNumber(
              problems,
              'personalData.retentionMs',
              p.retentionMs,
              PERSONAL_DATA_DEFAULTS.retentionMs,
              {
                min: 60_000,
              },
            );
      retentionIntervalMs = checkNumber(
        problems,
        'personalData.retentionIntervalMs',
        p.retentionIntervalMs,
        PERSONAL_DATA_DEFAULTS.retentionIntervalMs,
        { min: 1000 },
      );
    }
  }
  const resolved = { enabled, configured, activeKeyId, keys: new Map(), retentionMs, retentionIntervalMs };
  // Not enumerable: logging or serialising the options never shows the keys.
  Object.defineProperty(resolved, 'keys', { value: keys, enumerable: false });
  return resolved;
}

function decodeKey(raw: unknown): Buffer | undefined {
  if (raw instanceof Uint8Array) return raw.length === 32 ? Buffer.from(raw) : undefined;
  if (typeof raw !== 'string' || !/^[A-Za-z0-9+/_-]{43}=?$/.test(raw)) return undefined;
  const key = Buffer.from(raw, 'base64');
  return key.length === 32 ? key : undefined;
}
