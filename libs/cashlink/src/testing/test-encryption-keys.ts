import { createHash } from 'node:crypto';

/** The shape of the module's `encryption` option (the testing entry imports nothing of the library). */
export interface TestEncryptionKeys {
  keys: Record<string, string>;
  activeKeyId: string;
}

/**
 * A key ring for tests: `{ keys: { [id]: key }, activeKeyId: id }`, the key derived from the id, so that
 * every process of a test (and every run) reads the same rows. Never for production: the key is public.
 */
export function testEncryptionKeys(...ids: [string, ...string[]] | []): TestEncryptionKeys {
  const all = ids.length > 0 ? ids : ['test'];
  const keys: Record<string, string> = {};
  for (const id of all) {
    keys[id] = createHash('sha256').update(`nestjs-cashlink test key ${id}`).digest('base64');
  }
  return { keys, activeKeyId: all[0]! };
}
