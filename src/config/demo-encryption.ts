import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CashlinkEncryptionOptions } from 'nestjs-cashlink';

/** The file in the data folder that keeps the demo's generated key (mode 0600). */
export const DEMO_KEY_FILE = 'encryption-keys.json';

/**
 * The key ring of the demo: `CASHLINK_ENCRYPTION_KEYS` (`id=base64key,id2=base64key`; the first one, or
 * `CASHLINK_ENCRYPTION_ACTIVE_KEY_ID`, is active), else a key generated on the first start and kept in
 * `<dataDir>/encryption-keys.json` (0600), so that a restart reads what the last run stored. A real
 * deployment gives the keys from its secret store, never from a file beside the database.
 */
export function demoEncryptionKeys(
  env: { keys?: string; activeKeyId?: string },
  dataDir: string,
): CashlinkEncryptionOptions {
  if (env.keys !== undefined) {
    const keys: Record<string, string> = {};
    for (const pair of env.keys.split(',')) {
      const at = pair.indexOf('=');
      if (at <= 0) throw new Error('CASHLINK_ENCRYPTION_KEYS: id=base64key pairs, separated by commas');
      keys[pair.slice(0, at).trim()] = pair.slice(at + 1).trim();
    }
    return { keys, activeKeyId: env.activeKeyId ?? Object.keys(keys)[0]! };
  }
  ensurePrivateDir(dataDir);
  const file = join(dataDir, DEMO_KEY_FILE);
  if (existsSync(file)) {
    chmodSync(file, 0o600);
    return JSON.parse(readFileSync(file, 'utf8')) as CashlinkEncryptionOptions;
  }
  const ring: CashlinkEncryptionOptions = {
    keys: { demo1: randomBytes(32).toString('base64') },
    activeKeyId: 'demo1',
  };
  writeFileSync(file, JSON.stringify(ring), { mode: 0o600, flag: 'wx' });
  return ring;
}

/** The data folder, created readable by the owner only (it holds the database and the demo key). */
export function ensurePrivateDir(dataDir: string): void {
  if (!existsSync(dataDir)) mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  chmodSync(dataDir, 0o700);
}
