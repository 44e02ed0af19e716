import { EmulatorIdempotencyStore, fileFingerprint, jsonFingerprint } from './emulator-idempotency.store';

describe('EmulatorIdempotencyStore', () => {
  const fp = jsonFingerprint('POST', '/v2/investments/', { units: 1, investor_id: 'a' });

  it('reserves a new key, conflicts while in flight, replays once complete', () => {
    const store = new EmulatorIdempotencyStore();
    expect(store.begin('k', fp)).toEqual({ kind: 'new' });
    expect(store.begin('k', fp)).toEqual({ kind: 'conflict', reason: 'in_flight' });
    store.complete('k', 201, { id: 'x' });
    expect(store.begin('k', fp)).toEqual({ kind: 'replay', status: 201, body: { id: 'x' } });
  });

  it('conflicts for another request under the same key', () => {
    const store = new EmulatorIdempotencyStore();
    store.begin('k', fp);
    store.complete('k', 201, {});
    expect(
      store.begin('k', jsonFingerprint('POST', '/v2/investments/', { units: 2, investor_id: 'a' })),
    ).toEqual({
      kind: 'conflict',
      reason: 'different_request',
    });
    expect(
      store.begin('k', jsonFingerprint('POST', '/v2/investors/', { units: 1, investor_id: 'a' })),
    ).toEqual({
      kind: 'conflict',
      reason: 'different_request',
    });
  });

  it('frees an abandoned reservation and forgets completed keys on request', () => {
    const store = new EmulatorIdempotencyStore();
    store.begin('a', fp);
    store.abandon('a');
    expect(store.begin('a', fp)).toEqual({ kind: 'new' });
    store.complete('a', 201, {});
    store.countEffect('a');
    store.forgetAll();
    expect(store.begin('a', fp)).toEqual({ kind: 'new' });
    expect(store.effectsByKey()).toEqual({ a: 1 });
  });

  it('fingerprints JSON independently of key order, and files by hash and name', () => {
    expect(jsonFingerprint('POST', '/p/', { a: 1, b: { c: 2, d: 3 } })).toBe(
      jsonFingerprint('POST', '/p/', { b: { d: 3, c: 2 }, a: 1 }),
    );
    expect(jsonFingerprint('POST', '/p/', { a: [1, 2] })).not.toBe(
      jsonFingerprint('POST', '/p/', { a: [2, 1] }),
    );
    expect(fileFingerprint('POST', '/d/', 'abc', 'a.pdf')).not.toBe(
      fileFingerprint('POST', '/d/', 'abc', 'b.pdf'),
    );
  });
});
