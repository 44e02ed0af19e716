import { Logger } from '@nestjs/common';
import { inspect } from 'node:util';
import { CashlinkConfigError } from '../errors/cashlink.error';
import { testEncryptionKeys } from '../testing/test-encryption-keys';
import { CashlinkDecryptionError, ProtectionCodec } from './protection-codec';
import { resolveProtectionOptions } from './protection.options';
import { createProtectionCodec } from './protection.providers';

function codec(...ids: [string, ...string[]]): ProtectionCodec {
  const ring = testEncryptionKeys(...ids);
  const problems: string[] = [];
  const resolved = resolveProtectionOptions(ring, undefined, problems);
  expect(problems).toEqual([]);
  return new ProtectionCodec(resolved);
}

describe('ProtectionCodec', () => {
  const binding = ProtectionCodec.binding('cashlink_intents', 'request_body', 'key-1');

  it('seals with the active key id and a fresh IV, and opens it again', () => {
    const c = codec('k1');
    const a = c.seal('{"surname":"Mustermann"}', binding);
    const b = c.seal('{"surname":"Mustermann"}', binding);
    expect(a).toMatch(/^cl1:k1:[A-Za-z0-9+/=]+$/);
    expect(a).not.toBe(b);
    expect(a).not.toContain('Mustermann');
    expect(c.open(a, binding)).toBe('{"surname":"Mustermann"}');
    expect(ProtectionCodec.keyIdOf(a)).toBe('k1');
    expect(c.seal(null, binding)).toBeNull();
    expect(c.open(null, binding)).toBeNull();
  });

  it('refuses a value bound to another row or column, and an altered one', () => {
    const c = codec('k1');
    const sealed = c.seal('x', binding);
    expect(() =>
      c.open(sealed, ProtectionCodec.binding('cashlink_intents', 'request_body', 'key-2')),
    ).toThrow(CashlinkDecryptionError);
    expect(() =>
      c.open(sealed, ProtectionCodec.binding('cashlink_intents', 'response_body', 'key-1')),
    ).toThrow(CashlinkDecryptionError);
    const raw = Buffer.from(sealed.slice('cl1:k1:'.length), 'base64');
    raw[raw.length - 1] = raw[raw.length - 1]! ^ 1;
    expect(() => c.open(`cl1:k1:${raw.toString('base64')}`, binding)).toThrow(CashlinkDecryptionError);
  });

  it('reads old keys after a rotation, and names a missing key id', () => {
    const old = codec('k1').seal('x', binding);
    const rotated = codec('k2', 'k1');
    expect(rotated.open(old, binding)).toBe('x');
    expect(rotated.isCurrent(old)).toBe(false);
    expect(rotated.isCurrent(rotated.seal('x', binding))).toBe(true);
    expect(() => codec('k2').open(old, binding)).toThrow(CashlinkConfigError);
    expect(() => codec('k2').open(old, binding)).toThrow(/"k1"/);
  });

  it('reads clear values (stored before encryption was on) and writes clear with encryption off', () => {
    expect(codec('k1').open('{"a":1}', binding)).toBe('{"a":1}');
    expect(codec('k1').isCurrent('{"a":1}')).toBe(false);
    expect(ProtectionCodec.PLAIN.seal('{"a":1}', binding)).toBe('{"a":1}');
    expect(ProtectionCodec.PLAIN.isCurrent('{"a":1}')).toBe(true);
  });

  it('keeps the keys out of inspect and JSON', () => {
    const ring = testEncryptionKeys('k1');
    const key = String(ring.keys.k1);
    const c = codec('k1');
    const problems: string[] = [];
    const resolved = resolveProtectionOptions(ring, undefined, problems);
    for (const shown of [
      inspect(c, { showHidden: true, depth: 5 }),
      JSON.stringify(c),
      inspect(resolved),
      JSON.stringify(resolved),
    ]) {
      expect(shown).not.toContain(key.slice(0, 12));
    }
  });
});

describe('resolveProtectionOptions', () => {
  const resolve = (encryption: unknown, personalData?: unknown) => {
    const problems: string[] = [];
    const resolved = resolveProtectionOptions(encryption, personalData, problems);
    return { resolved, problems };
  };

  it('defaults: not configured, retention 90 days', () => {
    expect(resolve(undefined).resolved).toMatchObject({
      configured: false,
      enabled: false,
      retentionMs: 7_776_000_000,
    });
    expect(resolve(false).resolved).toMatchObject({ configured: true, enabled: false });
  });

  it('lists every problem, never a key value', () => {
    const secret = 'c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA';
    const { problems } = resolve(
      {
        keys: { 'bad id': 'x', short: secret, ok: testEncryptionKeys().keys.test },
        activeKeyId: 'nope',
        extra: 1,
      },
      { retentionMs: 5, other: true },
    );
    expect(problems.join('\n')).toMatch(/encryption\.extra: unknown option/);
    expect(problems.join('\n')).toMatch(/key id must be 1-32 characters/);
    expect(problems.join('\n')).toMatch(/encryption\.keys\.short: must be 32 bytes/);
    expect(problems.join('\n')).toMatch(/encryption\.activeKeyId: "nope" is not a key id/);
    expect(problems.join('\n')).toMatch(/personalData\.retentionMs: must be a whole number >= 60000/);
    expect(problems.join('\n')).toMatch(/personalData\.other: unknown option/);
    expect(problems.join('\n')).not.toContain(secret);
    expect(resolve({ keys: {}, activeKeyId: 'a' }).problems.join('\n')).toMatch(/at least one key/);
    expect(resolve({ keys: { a: Buffer.alloc(32) }, activeKeyId: 'a' }).problems).toEqual([]);
    expect(resolve(undefined, { retentionMs: false }).resolved.retentionMs).toBe(false);
  });
});

describe('createProtectionCodec (the module with persistence on)', () => {
  const resolved = (encryption: unknown) => resolveProtectionOptions(encryption, undefined, []);

  it('refuses to start without the encryption option, saying how to set it', () => {
    expect(() => createProtectionCodec(resolved(undefined))).toThrow(CashlinkConfigError);
    expect(() => createProtectionCodec(resolved(undefined))).toThrow(
      /encryption: required with persistence on.*openssl rand -base64 32.*encryption: false/s,
    );
  });

  it('encryption: false stores in clear and warns at every start', () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    try {
      const plain = createProtectionCodec(resolved(false));
      expect(plain.enabled).toBe(false);
      createProtectionCodec(resolved(false));
      expect(warn).toHaveBeenCalledTimes(2);
      expect(String(warn.mock.calls[0]![0])).toMatch(/IN CLEAR/);
    } finally {
      warn.mockRestore();
    }
  });

  it('a key ring gives an encrypting codec', () => {
    expect(createProtectionCodec(resolved(testEncryptionKeys())).enabled).toBe(true);
  });
});
