/**
 * The intent store's SQLite group commit (introduced for the durable-create benchmark, see
 * bench/README.md, change 5): statements of concurrent writes share one transaction, yet each is
 * recorded, claimed and settled exactly as on its own, and one failing statement fails only its caller.
 */
import { randomUUID } from 'node:crypto';
import { CashlinkIntentStore } from '../../libs/cashlink/src/idempotency/cashlink-intent.store';
import { createIntentDatabase, type IntentDatabase } from '../idempotency/support/intent-database';

jest.setTimeout(30_000);

const intent = (key: string) => ({
  key,
  operation: 'investments.create',
  method: 'POST',
  path: '/v2/investments/',
  requestBody: '{"json":{}}',
  requestHash: 'a'.repeat(64),
});

describe('intent store group commit [sqlite]', () => {
  let database: IntentDatabase;
  let store: CashlinkIntentStore;

  beforeAll(async () => {
    database = await createIntentDatabase('sqlite');
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
