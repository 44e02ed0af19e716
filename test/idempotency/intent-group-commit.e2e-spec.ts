/**
 * The intent store's group commits: on SQLite the statements of concurrent writes share one transaction, on Postgres
 * concurrent records and settlements share one statement; yet each is recorded, claimed and settled
 * exactly as on its own, and one failing write fails only its caller.
 */
import { randomUUID } from 'node:crypto';
import { CashlinkIntentStore } from '../../libs/cashlink/src/idempotency/cashlink-intent.store';
import { createIntentDatabase, type IntentDatabase } from './support/intent-database';
import { describeEachDatabase, describeIfPostgres } from '../support/databases';

jest.setTimeout(30_000);

const intent = (key: string) => ({
  key,
  operation: 'investments.create',
  method: 'POST',
  path: '/v2/investments/',
  requestBody: '{"json":{}}',
  requestHash: 'a'.repeat(64),
});

describeEachDatabase('intent store group commit', (kind) => {
  let database: IntentDatabase;
  let store: CashlinkIntentStore;

  beforeAll(async () => {
    database = await createIntentDatabase(kind);
    store = new CashlinkIntentStore(database.dataSource, 60_000);
  });
  afterAll(() => database.close());

  it('records, claims and settles 50 concurrent intents exactly once each', async () => {
    const keys = Array.from({ length: 50 }, () => randomUUID());
    const now = Date.now();
    // Each key twice at once: the second insert of a key is a no-op, whichever group it lands in.
    const recorded = await Promise.all([...keys, ...keys].map((key) => store.record(intent(key), now)));
    expect(recorded.filter((r) => r.created)).toHaveLength(50);

    const claims = await Promise.all([...keys, ...keys].map((key) => store.claim(key, 'owner-a', now)));
    const held = claims.filter((c) => c !== null);
    expect(held).toHaveLength(50);
    expect(new Set(held.map((c) => c.key)).size).toBe(50);

    // Settled with each claim's own lease; settling again finds nothing to settle.
    const settle = () =>
      Promise.all(
        held.map((c) =>
          store.settle(
            c.key,
            c.leaseOwner!,
            { state: 'succeeded', responseStatus: 201, responseBody: '{}' },
            now,
          ),
        ),
      );
    expect((await settle()).every(Boolean)).toBe(true);
    expect((await settle()).some(Boolean)).toBe(false);
    expect((await store.countByState()).succeeded).toBe(50);
  });

  it('settles in one group only the intents whose lease is presented', async () => {
    const keys = Array.from({ length: 20 }, () => randomUUID());
    const now = Date.now();
    await Promise.all(keys.map((key) => store.record(intent(key), now)));
    const held = await Promise.all(keys.map((key) => store.claim(key, 'owner-b', now)));
    const outcome = { state: 'succeeded' as const, responseStatus: 201, responseBody: '{"ok":true}' };
    // Every other settlement presents a lease that is not the holder's: those settle nothing.
    const results = await Promise.all(
      held.map((c, i) => store.settle(c!.key, i % 2 === 0 ? c!.leaseOwner! : 'owner-b:stale', outcome, now)),
    );
    expect(results).toEqual(keys.map((_, i) => i % 2 === 0));
    const stored = await Promise.all(keys.map((key) => store.find(key)));
    expect(stored.map((row) => row!.state)).toEqual(
      keys.map((_, i) => (i % 2 === 0 ? 'succeeded' : 'pending')),
    );
    expect(
      stored.filter((row) => row!.state === 'succeeded').every((row) => row!.responseBody === '{"ok":true}'),
    ).toBe(true);
    // The same key twice in one group, with its own lease both times: settled once.
    const again = Array.from({ length: 2 }, () => store.settle(keys[1]!, held[1]!.leaseOwner!, outcome, now));
    expect((await Promise.all(again)).filter(Boolean)).toHaveLength(1);
  });

  it('fails only the statement that cannot run when a group rolls back', async () => {
    const good = Array.from({ length: 10 }, () => randomUUID());
    const now = Date.now();
    const results = await Promise.allSettled([
      ...good.map((key) => store.record(intent(key), now)),
      // NOT NULL violation: this insert cannot be stored.
      store.record({ ...intent(randomUUID()), operation: null as unknown as string }, now),
    ]);
    expect(results.slice(0, 10).every((r) => r.status === 'fulfilled' && r.value.created)).toBe(true);
    expect(results[10]!.status).toBe('rejected');
    for (const key of good) expect(await store.find(key)).not.toBeNull();
  });
});

// Postgres only: on SQLite every write outside the app's transaction waits for it by design (one shared
// connection; README "Limits").
describeIfPostgres('intent store group commit and open app transactions [postgres]', () => {
  let database: IntentDatabase;
  let store: CashlinkIntentStore;

  beforeAll(async () => {
    database = await createIntentDatabase('postgres');
    store = new CashlinkIntentStore(database.dataSource, 60_000);
  });
  afterAll(() => database.close());

  it('does not hold up a group behind an app transaction that recorded one of its keys', async () => {
    // The app records K inside its own open transaction ({ manager }); meanwhile K and unrelated keys
    // are recorded outside it. An insert of K waits for that transaction; the unrelated ones must not.
    const runner = database.dataSource.createQueryRunner();
    await runner.connect();
    await runner.startTransaction();
    try {
      const held = randomUUID();
      const now = Date.now();
      await store.record(intent(held), now, runner.manager);
      const others = Array.from({ length: 20 }, () => randomUUID());
      const repeat = store.record(intent(held), now);
      // Would wait for the open transaction (forever, had it awaited one of these) without the lock timeout.
      const recorded = await Promise.all(others.map((key) => store.record(intent(key), now)));
      expect(recorded.every((r) => r.created)).toBe(true);
      await runner.commitTransaction();
      expect((await repeat).created).toBe(false);
    } finally {
      if (runner.isTransactionActive) await runner.rollbackTransaction();
      await runner.release();
    }
  });
});
