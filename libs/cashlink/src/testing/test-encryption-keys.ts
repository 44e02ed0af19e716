import { createHash } from 'node:crypto';
import type { CashlinkEncryptionOptions } from '../protection/protection.options';

/**
 * A key ring for tests: `{ keys: { [id]: key }, activeKeyId: id }`, the key derived from the id, so that
 * every process of a test (and every run) reads the same rows. Never for production: the key is public.
 */
export function testEncryptionKeys(...ids: [string, ...string[]] | []): CashlinkEncryptionOptions {
  const all = ids.length > 0 ? ids : ['test'];
  const keys: Record<string, string> = {};
  for (const id of all) {
    keys[id] = createHash('sha256').update(`nestjs-cashlink test key ${id}`).digest('base64');
  }
  return { keys, activeKeyId: all[0]! };
}
