/**
 * What each intent write waits for on Postgres. The record is flushed before the call is made (a
 * synchronous commit); a settlement commits without waiting for the flush (`synchronous_commit` off for
 * its own transaction only): losing it to a power cut leaves the intent pending, and it is sent again
 * with its key. A trigger on the table records the setting each write's transaction ran under.
 */
import { randomUUID } from 'node:crypto';
import {
  CashlinkIntentStore,
  type NewCashlinkIntent,
} from '../../libs/cashlink/src/idempotency/cashlink-intent.store';
import { describeIfPostgres } from '../support/databases';
import { createIntentDatabase, type IntentDatabase } from './support/intent-database';

function intent(key: string): NewCashlinkIntent {
  return {
    key,
    operation: 'investments.create',
    method: 'POST',
    path: '/v2/investments/',
    requestBody: JSON.stringify({ json: { units: 1 } }),
    requestHash: 'h'.repeat(64),
  };
}

describeIfPostgres('intent commits and the disk [postgres]', () => {
  let idb: IntentDatabase;
  let store: CashlinkIntentStore;

  beforeEach(async () => {
    idb = await createIntentDatabase('postgres');
    store = new CashlinkIntentStore(idb.dataSource, 60_000);
    await idb.dataSource.query(
      'CREATE TABLE "commit_seen" ("op" text NOT NULL, "key" text NOT NULL, "synchronous_commit" text NOT NULL)',
    );
    await idb.dataSource.query(
      `CREATE FUNCTION "commit_seen"() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN ` +
        `INSERT INTO "commit_seen" VALUES (TG_OP, NEW."idempotency_key", current_setting('synchronous_commit')); ` +
        `RETURN NULL; END $$`,
    );
    await idb.dataSource.query(
      'CREATE TRIGGER "commit_seen" AFTER INSERT OR UPDATE ON "cashlink_intents" FOR EACH ROW EXECUTE FUNCTION "commit_seen"()',
    );
  });
  afterEach(async () => {
    await idb.close();
  });

  const seen = async (op: string) =>
    (await idb.dataSource.query(
      `SELECT "key", "synchronous_commit" FROM "commit_seen" WHERE "op" = $1 ORDER BY "key"`,
      [op],
    )) as Array<{ key: string; synchronous_commit: string }>;

  it('flushes the record before the call; settles alone and in groups without waiting for the flush', async () => {
    const keys = Array.from({ length: 9 }, (_, i) => `k${i}-${randomUUID()}`).sort();
    // One alone, then eight at once: the second are written as one group statement.
    await store.record({ ...intent(keys[0]!), leaseOwner: 'me' }, 1_000);
    await Promise.all(keys.slice(1).map((key) => store.record({ ...intent(key), leaseOwner: 'me' }, 1_000)));
    const leases = new Map(
      await Promise.all(keys.map(async (key) => [key, (await store.find(key))!.leaseOwner!] as const)),
    );
    const settle = (key: string) =>
      store.settle(
        key,
        leases.get(key)!,
        { state: 'succeeded', responseStatus: 201, responseBody: '{}' },
        2_000,
      );
    await expect(settle(keys[0]!)).resolves.toBe(true);
    await expect(Promise.all(keys.slice(1).map(settle))).resolves.toEqual(keys.slice(1).map(() => true));

    expect(await seen('INSERT')).toEqual(keys.map((key) => ({ key, synchronous_commit: 'on' })));
    expect(await seen('UPDATE')).toEqual(keys.map((key) => ({ key, synchronous_commit: 'off' })));
    // Local to each settlement's transaction: the pooled connections keep the server's setting.
    const pooled = (await idb.dataSource.query('SHOW synchronous_commit')) as Array<{
      synchronous_commit: string;
    }>;
    expect(pooled[0]!.synchronous_commit).toBe('on');
  });

  it('a settlement that lost its lease changes nothing', async () => {
    const key = `lost-${randomUUID()}`;
    await store.record({ ...intent(key), leaseOwner: 'me' }, 1_000);
    await expect(
      store.settle(
        key,
        'someone-else',
        { state: 'succeeded', responseStatus: 201, responseBody: '{}' },
        2_000,
      ),
    ).resolves.toBe(false);
    expect(await seen('UPDATE')).toEqual([]);
    expect((await store.find(key))?.state).toBe('pending');
  });
});
