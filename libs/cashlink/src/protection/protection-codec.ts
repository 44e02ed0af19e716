import { createCipheriv, createDecipheriv, randomFillSync } from 'node:crypto';
import { CashlinkConfigError, CashlinkError } from '../errors/cashlink.error';
import type { ResolvedProtectionOptions } from './protection.options';

/** Marks a sealed value: `cl1:<keyId>:<base64(iv | tag | ciphertext)>`. JSON text never starts so. */
const PREFIX = 'cl1:';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * Random IVs drawn from one buffer filled 1024 at a time: a third of the cost of sealing a small value
 * went to a `randomBytes(12)` call per value. Each IV is used once (GCM needs it unique per key); the
 * bytes are the same CSPRNG's. `nextIv` answers a view into the pool: it is read at once (by the
 * cipher and into the sealed value), before the pool can be refilled.
 */
const IV_POOL = Buffer.allocUnsafe(IV_BYTES * 1024);
let ivAt = IV_POOL.length;
function nextIv(): Buffer {
  if (ivAt + IV_BYTES > IV_POOL.length) {
    randomFillSync(IV_POOL);
    ivAt = 0;
  }
  return IV_POOL.subarray(ivAt, (ivAt += IV_BYTES));
}

/** A stored value did not decrypt: it was altered, or copied from another row or column. */
export class CashlinkDecryptionError extends CashlinkError {
  constructor(readonly binding: string) {
    super(
      `A protected value (${binding.split('|')[1] ?? 'column'}) did not decrypt: it was altered, or copied from another row. ` +
        'Nothing was sent; restore the row from a backup or erase it.',
    );
  }
}

/**
 * The one place that turns protected columns into ciphertext and back (AES-256-GCM). Every value is
 * sealed under the active key with a fresh 96-bit IV; the key id travels in the value so that old values
 * stay readable after a rotation; the associated data is the value's table, column and row id, so a
 * value copied to another row or column does not decrypt. Stores call it where a protected column is
 * written or read, and nothing else sees ciphertext.
 *
 * With encryption off (`encryption: false`) `seal` returns the text unchanged and `open` reads both.
 */
export class ProtectionCodec {
  readonly #keys: ReadonlyMap<string, Buffer>;
  readonly #active: Buffer | undefined;
  readonly activeKeyId: string;
  readonly enabled: boolean;
  /** `cl1:<active key id>:`, built once. */
  readonly #sealedPrefix: string;

  constructor(options: Pick<ResolvedProtectionOptions, 'enabled' | 'activeKeyId' | 'keys'>) {
    this.enabled = options.enabled;
    this.activeKeyId = options.activeKeyId;
    this.#keys = options.keys;
    this.#active = options.keys.get(options.activeKeyId);
    this.#sealedPrefix = `${PREFIX}${options.activeKeyId}:`;
    if (this.enabled && !this.#active) {
      throw new CashlinkConfigError(['encryption.activeKeyId: is not a key id in encryption.keys']);
    }
  }

  /** A codec that stores text in clear (stores built without one, and `encryption: false`). */
  static readonly PLAIN = new ProtectionCodec({ enabled: false, activeKeyId: '', keys: new Map() });

  /** The associated data of a column value: `cashlink|<table>.<column>|<row id>`. */
  static binding(table: string, column: string, rowId: string): string {
    return `cashlink|${table}.${column}|${rowId}`;
  }

  /** The ids of every key in the ring. */
  keyIds(): string[] {
    return [...this.#keys.keys()];
  }

  seal(text: string, binding: string): string;
  seal(text: string | null, binding: string): string | null;
  seal(text: string | null, binding: string): string | null {
    if (text === null || !this.enabled) return text;
    const iv = nextIv();
    const cipher = createCipheriv('aes-256-gcm', this.#active!, iv);
    cipher.setAAD(Buffer.from(binding, 'utf8'));
    const body = cipher.update(text, 'utf8');
    // GCM is a stream mode: final() adds no bytes, it computes the tag.
    cipher.final();
    // One buffer, written in place: iv | tag | ciphertext.
    const out = Buffer.allocUnsafe(IV_BYTES + TAG_BYTES + body.length);
    iv.copy(out, 0);
    cipher.getAuthTag().copy(out, IV_BYTES);
    body.copy(out, IV_BYTES + TAG_BYTES);
    return this.#sealedPrefix + out.toString('base64');
  }

  open(stored: string, binding: string): string;
  open(stored: string | null, binding: string): string | null;
  open(stored: string | null, binding: string): string | null {
    if (stored === null || !stored.startsWith(PREFIX)) return stored;
    const colon = stored.indexOf(':', PREFIX.length);
    const keyId = colon > 0 ? stored.slice(PREFIX.length, colon) : '';
    const key = this.#keys.get(keyId);
    if (!key) throw missingKeyError([keyId]);
    const raw = Buffer.from(stored.slice(colon + 1), 'base64');
    if (raw.length < IV_BYTES + TAG_BYTES) throw new CashlinkDecryptionError(binding);
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, IV_BYTES));
      decipher.setAAD(Buffer.from(binding, 'utf8'));
      decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
      return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString(
        'utf8',
      );
    } catch {
      throw new CashlinkDecryptionError(binding);
    }
  }

  /** The key id a stored value was sealed with; null for a value stored in clear. */
  static keyIdOf(stored: string | null): string | null {
    if (stored === null || !stored.startsWith(PREFIX)) return null;
    const colon = stored.indexOf(':', PREFIX.length);
    return colon > 0 ? stored.slice(PREFIX.length, colon) : '';
  }

  /** Whether a stored value is already what `seal` writes now (sealed under the active key, or clear when off). */
  isCurrent(stored: string | null): boolean {
    if (stored === null) return true;
    const id = ProtectionCodec.keyIdOf(stored);
    return this.enabled ? id === this.activeKeyId : id === null;
  }

  /** Whether every id is in the ring. */
  hasKey(id: string): boolean {
    return this.#keys.has(id);
  }
}

/** Start-up (or a read) met values sealed under key ids the ring does not hold. */
export function missingKeyError(ids: readonly string[]): CashlinkConfigError {
  return new CashlinkConfigError([
    `encryption.keys: stored values are encrypted under key id(s) ${ids.map((id) => `"${id}"`).join(', ')}, ` +
      'which the key ring does not hold. Add the old key(s) back to encryption.keys (they may stay inactive), ' +
      'run CashlinkDataProtectionService.reencrypt() to move every value to the active key, then remove them.',
  ]);
}
