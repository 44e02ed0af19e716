import { DataSource } from 'typeorm';
import { CashlinkIntent } from '../../libs/cashlink/src/idempotency/cashlink-intent.entity';
import { CashlinkIntentResolution } from '../../libs/cashlink/src/idempotency/cashlink-intent-resolution.entity';
import {
  CashlinkIntentStore,
  type NewCashlinkIntent,
} from '../../libs/cashlink/src/idempotency/cashlink-intent.store';
import { CASHLINK_MIGRATIONS } from '../../libs/cashlink/src/migrations/index';
import { CreateCashlinkIntents1795985000000 } from '../../libs/cashlink/src/migrations/1795985000000-create-cashlink-intents';
import { CashlinkDataProtection1796200000000 } from '../../libs/cashlink/src/migrations/1796200000000-cashlink-data-protection';
import { CashlinkEncryptionKeyEntity } from '../../libs/cashlink/src/protection/cashlink-encryption-key.entity';
import { CashlinkIntentsPurgeTombstones1795995000000 } from '../../libs/cashlink/src/migrations/1795995000000-cashlink-intents-purge-tombstones';
import { CashlinkIntentResolutions1796060000000 } from '../../libs/cashlink/src/migrations/1796060000000-cashlink-intent-resolutions';
import { createTestDatabase, describeEachDatabase } from '../support/databases';
import { createIntentDatabase, type IntentDatabase } from './support/intent-database';

const LEASE = 1000;
/** countByState() of an empty table: every state, zero. */
const NO_INTENTS = {
  pending: 0,
  succeeded: 0,
  failed: 0,
  expired: 0,
  needs_review: 0,
  abandoned: 0,
  replaced: 0,
};

/** A lease token of one claim by `owner`. */
function leaseOf(owner: string) {
  return expect.stringMatching(new RegExp(`^${owner}:[0-9a-f-]{36}$`));
}

function intent(key: string, body: unknown = { units: 1 }): NewCashlinkIntent {
  return {
    key,
    operation: 'investments.create',
    method: 'POST',
    path: '/v2/investments/',
    requestBody: JSON.stringify({ json: body }),
    requestHash: `hash-of-${JSON.stringify(body)}`.padEnd(64, '0').slice(0, 64),
  };
}

describeEachDatabase('intent store', (kind) => {
  let idb: IntentDatabase;
  let store: CashlinkIntentStore;

  beforeEach(async () => {
    idb = await createIntentDatabase(kind);
    store = new CashlinkIntentStore(idb.dataSource, LEASE);
  });
  afterEach(async () => {
    await idb.close();
  });

  it('records an intent once; a repeat of the key keeps the first row', async () => {
    const first = await store.record(intent('k1', { units: 1 }), 1_000);
    expect(first.created).toBe(true);
    expect(first.intent).toMatchObject({
      key: 'k1',
      state: 'pending',
      attempts: 0,
      nextAttemptAt: 1_000,
      createdAt: 1_000,
    });
    const again = await store.record(intent('k1', { units: 2 }), 2_000);
    expect(again.created).toBe(false);
    expect(again.intent.requestBody).toBe(JSON.stringify({ json: { units: 1 } }));
    expect(again.intent.createdAt).toBe(1_000);
    expect(await idb.dataSource.getRepository(CashlinkIntent).count()).toBe(1);
  });

  it('returns a new intent without reading it back, equal to the stored row (claimed or not)', async () => {
    const plain = await store.record(intent('plain'), 1_000);
    expect({ ...plain.intent }).toEqual({ ...(await store.find('plain')) });
    const claimed = await store.record(
      { ...intent('claimed'), leaseOwner: 'me', nextAttemptAt: 9_000 },
      2_000,
    );
    expect(claimed).toMatchObject({ created: true, claimed: true });
    expect({ ...claimed.intent }).toEqual({ ...(await store.find('claimed')) });
    expect(claimed.intent).toMatchObject({ attempts: 1, leaseUntil: 2_000 + LEASE, nextAttemptAt: 9_000 });
  });

  it('stores epoch milliseconds beyond 2^31 exactly', async () => {
    const now = Date.UTC(2031, 0, 1);
    await store.record(intent('big'), now);
    expect((await store.find('big'))?.createdAt).toBe(now);
  });

  it('a record in a rolled-back transaction leaves nothing', async () => {
    await expect(
      idb.dataSource.transaction(async (manager) => {
        await store.record(intent('rolled'), 1_000, manager);
        expect(await store.find('rolled', manager)).not.toBeNull();
        throw new Error('business failure');
      }),
    ).rejects.toThrow('business failure');
    expect(await store.find('rolled')).toBeNull();
  });

  it("does not join another transaction on the app's connection: a rollback there loses no intent", async () => {
    const runner = idb.dataSource.createQueryRunner();
    await runner.startTransaction();
    try {
      await runner.query('SELECT 1');
      const pending = store.record(intent('outside'), 1_000);
      await new Promise((resolve) => setTimeout(resolve, 50));
      await runner.rollbackTransaction();
      expect((await pending).created).toBe(true);
    } finally {
      await runner.release();
    }
    expect(await store.find('outside')).toMatchObject({ key: 'outside', state: 'pending' });
  });

  it('a claim is exclusive until its lease runs out, and counts an attempt', async () => {
    await store.record(intent('k'), 0);
    const a = await store.claim('k', 'A', 10);
    expect(a).toMatchObject({ leaseOwner: leaseOf('A'), leaseUntil: 10 + LEASE, attempts: 1 });
    expect(await store.claim('k', 'B', 10 + LEASE - 1)).toBeNull();
    // A dies; its lease runs out; B takes over.
    const b = await store.claim('k', 'B', 10 + LEASE);
    expect(b).toMatchObject({ leaseOwner: leaseOf('B'), attempts: 2 });
    // A's late settlement is refused: it no longer holds the intent.
    expect(
      await store.settle(
        'k',
        a!.leaseOwner!,
        { state: 'succeeded', responseStatus: 201, responseBody: '{}' },
        2_000,
      ),
    ).toBe(false);
    expect(
      await store.settle(
        'k',
        b!.leaseOwner!,
        { state: 'succeeded', responseStatus: 201, responseBody: '{"id":"x"}' },
        2_000,
      ),
    ).toBe(true);
    expect(await store.find('k')).toMatchObject({
      state: 'succeeded',
      responseStatus: 201,
      responseBody: '{"id":"x"}',
      leaseOwner: null,
      leaseUntil: null,
      settledAt: 2_000,
    });
    // Settled intents are never claimed again.
    expect(await store.claim('k', 'C', 100_000)).toBeNull();
  });

  it('two claims by one instance hold different leases: the older can neither renew nor settle', async () => {
    await store.record(intent('k'), 0);
    // The worker's batch claim; its lease runs out while the batch waits.
    const [batched] = await store.claimDue('A', 10, 10);
    expect(batched).toMatchObject({ key: 'k', leaseOwner: leaseOf('A') });
    // A caller in the same process repeats the key and claims it.
    const caller = await store.claim('k', 'A', 10 + LEASE);
    expect(caller).toMatchObject({ leaseOwner: leaseOf('A') });
    expect(caller!.leaseOwner).not.toBe(batched!.leaseOwner);
    // The worker's renew right before sending is refused, so it does not send the key a second time.
    expect(await store.renew('k', batched!.leaseOwner!, 10 + LEASE + 1)).toBe(false);
    expect(
      await store.settle(
        'k',
        batched!.leaseOwner!,
        { state: 'failed', error: { className: 'X', message: 'x' } },
        10 + LEASE + 2,
      ),
    ).toBe(false);
    expect(await store.release('k', batched!.leaseOwner!, 10 + LEASE + 3)).toBe(false);
    expect(await store.renew('k', caller!.leaseOwner!, 10 + LEASE + 4)).toBe(true);
    expect(await store.find('k')).toMatchObject({ state: 'pending', leaseOwner: caller!.leaseOwner });
  });

  it('a new intent recorded already claimed holds its own lease token', async () => {
    const first = await store.record({ ...intent('r'), leaseOwner: 'A' }, 0);
    expect(first).toMatchObject({ created: true, claimed: true });
    expect(first.intent).toMatchObject({ leaseOwner: leaseOf('A'), leaseUntil: LEASE, attempts: 1 });
    // A repeat of the key by the same instance is neither created nor claimed.
    const again = await store.record({ ...intent('r'), leaseOwner: 'A' }, 1);
    expect(again).toMatchObject({ created: false, claimed: false });
    expect(again.intent.leaseOwner).toBe(first.intent.leaseOwner);
  });

  it('postpone keeps the intent pending with its error and frees it for a later claim', async () => {
    await store.record(intent('p'), 0);
    const claimed = await store.claim('p', 'A', 0);
    const error = { className: 'CashlinkServerError', message: 'Cashlink answered 503', status: 503 };
    expect(await store.postpone('p', claimed!.leaseOwner!, 5_000, error, 1)).toBe(true);
    const row = await store.find('p');
    expect(row).toMatchObject({ state: 'pending', nextAttemptAt: 5_000, leaseOwner: null });
    expect(JSON.parse(row!.lastError!)).toEqual(error);
    expect(await store.claimDue('A', 10, 4_999)).toEqual([]);
    expect((await store.claimDue('A', 10, 5_000)).map((i) => i.key)).toEqual(['p']);
  });

  it('failed and expired settlements keep the error', async () => {
    await store.record(intent('f'), 0);
    await store.record(intent('e'), 0);
    const f = await store.claim('f', 'A', 0);
    const e = await store.claim('e', 'A', 0);
    const err = {
      className: 'CashlinkValidationError',
      message: 'bad',
      status: 400,
      body: { units: ['too many'] },
    };
    expect(await store.settle('f', f!.leaseOwner!, { state: 'failed', error: err }, 7)).toBe(true);
    expect(
      await store.settle(
        'e',
        e!.leaseOwner!,
        { state: 'expired', error: { className: 'CashlinkIntentExpiredError', message: 'old' } },
        7,
      ),
    ).toBe(true);
    expect(JSON.parse((await store.find('f'))!.lastError!)).toEqual(err);
    expect((await store.find('e'))!.state).toBe('expired');
    expect(await store.countByState()).toEqual({
      ...NO_INTENTS,
      failed: 1,
      expired: 1,
    });
  });

  it('claimDue takes due, unleased, pending intents only, oldest first, up to the limit', async () => {
    await store.record(intent('a'), 100);
    await store.record(intent('b'), 50);
    await store.record(intent('c'), 300); // not due at 200
    await store.record(intent('leased'), 10);
    await store.claim('leased', 'other', 10);
    await store.record(intent('done'), 10);
    const done = await store.claim('done', 'other', 10);
    await store.settle(
      'done',
      done!.leaseOwner!,
      { state: 'succeeded', responseStatus: 200, responseBody: '{}' },
      11,
    );
    const first = await store.claimDue('me', 1, 200);
    expect(first.map((i) => i.key)).toEqual(['b']);
    const rest = await store.claimDue('me', 10, 200);
    expect(rest.map((i) => i.key)).toEqual(['a']);
    expect(rest[0]).toMatchObject({ leaseOwner: leaseOf('me'), attempts: 1 });
    // the other owner's lease runs out at 10 + LEASE
    expect((await store.claimDue('me', 10, 10 + LEASE)).map((i) => i.key).sort()).toEqual(['c', 'leased']);
  });

  it('concurrent claimers on separate connections take disjoint sets', async () => {
    const n = 200;
    for (let i = 0; i < n; i++) await store.record(intent(`c${String(i).padStart(3, '0')}`), 0);
    const others = await Promise.all([idb.open(), idb.open(), idb.open()]);
    const stores = [store, ...others.map((ds) => new CashlinkIntentStore(ds, LEASE))];
    const claimed = new Map<string, string>();
    let duplicates = 0;
    await Promise.all(
      stores.map(async (s, i) => {
        for (;;) {
          const batch = await s.claimDue(`owner-${i}`, 7, 1);
          if (batch.length === 0) return;
          for (const row of batch) {
            if (claimed.has(row.key)) duplicates++;
            claimed.set(row.key, `owner-${i}`);
          }
        }
      }),
    );
    expect(duplicates).toBe(0);
    expect(claimed.size).toBe(n);
  });

  it('purges settled intents older than the cut-off, by state, in batches, keeping tombstones', async () => {
    for (let i = 0; i < 25; i++) {
      const key = `s${i}`;
      await store.record(intent(key), 0);
      const claimed = await store.claim(key, 'A', 0);
      await store.settle(
        key,
        claimed!.leaseOwner!,
        { state: 'succeeded', responseStatus: 201, responseBody: '{}' },
        i < 20 ? 100 : 900,
      );
    }
    await store.record(intent('pending'), 0);
    await store.record(intent('expired'), 0);
    const expired = await store.claim('expired', 'A', 0);
    await store.settle(
      'expired',
      expired!.leaseOwner!,
      { state: 'expired', error: { className: 'X', message: 'x' } },
      100,
    );
    expect(await store.purge(['succeeded', 'failed'], 500, 1_000, 7)).toBe(20);
    // Tombstones stay: every key is still known, in its state.
    expect(await store.countByState()).toEqual({ ...NO_INTENTS, pending: 1, succeeded: 25, expired: 1 });
    expect(await store.find('s0')).toMatchObject({
      state: 'succeeded',
      requestBody: null,
      responseBody: null,
      lastError: null,
      requestHash: intent('s0').requestHash,
      settledAt: 100,
      purgedAt: 1_000,
    });
    expect(await store.find('s24')).toMatchObject({ responseBody: '{}', purgedAt: null });
    expect(await store.find('expired')).toMatchObject({ purgedAt: null });
    // A tombstone is purged once: a later run finds nothing left to do.
    expect(await store.purge(['succeeded', 'failed'], 500, 2_000, 7)).toBe(0);
    expect(await store.find('s0')).toMatchObject({ purgedAt: 1_000 });
  });

  it('lists intents by state', async () => {
    await store.record(intent('x1'), 1);
    await store.record(intent('x2'), 2);
    await store.record(intent('x3'), 3);
    const x2 = await store.claim('x2', 'A', 5);
    await store.settle(
      'x2',
      x2!.leaseOwner!,
      { state: 'succeeded', responseStatus: 201, responseBody: '{}' },
      6,
    );
    expect((await store.list({ state: 'pending' })).map((i) => i.key)).toEqual(['x1', 'x3']);
    expect((await store.list({ limit: 2 })).map((i) => i.key)).toEqual(['x1', 'x2']);
  });
});

describeEachDatabase('intent migrations', (kind) => {
  it('run and revert with the library migration list', async () => {
    const db = await createTestDatabase(kind);
    const ds = new DataSource({
      ...db.options,
      migrations: CASHLINK_MIGRATIONS,
      synchronize: false,
      logging: false,
    } as ConstructorParameters<typeof DataSource>[0]);
    try {
      await ds.initialize();
      const ran = await ds.runMigrations();
      expect(ran.map((m) => m.name)).toContain(CreateCashlinkIntents1795985000000.name);
      const runner = ds.createQueryRunner();
      try {
        const table = await runner.getTable('cashlink_intents');
        expect(table?.columns.map((c) => c.name)).toEqual(
          expect.arrayContaining([
            'idempotency_key',
            'state',
            'next_attempt_at',
            'lease_until',
            'settled_at',
            'purged_at',
          ]),
        );
        expect(table?.indices.map((i) => i.name)).toEqual(
          expect.arrayContaining([
            'IDX_cashlink_intents_state_next_attempt',
            'IDX_cashlink_intents_state_purged_settled',
          ]),
        );
        // revert every library migration (newest first) and the table is gone
        for (let i = 0; i < ran.length; i++) await ds.undoLastMigration();
        expect(await runner.hasTable('cashlink_intents')).toBe(false);
      } finally {
        await runner.release();
      }
    } finally {
      if (ds.isInitialized) await ds.destroy();
      await db.drop();
    }
  });

  it('the tombstone migration keeps existing intents (upgrade of a database in use)', async () => {
    const db = await createTestDatabase(kind);
    const options = {
      ...db.options,
      entities: [CashlinkIntent],
      synchronize: false,
      logging: false,
    } as ConstructorParameters<typeof DataSource>[0];
    const before = new DataSource({ ...options, migrations: [CreateCashlinkIntents1795985000000] });
    const after = new DataSource({
      ...options,
      migrations: [
        CreateCashlinkIntents1795985000000,
        CashlinkIntentsPurgeTombstones1795995000000,
        CashlinkIntentResolutions1796060000000,
        CashlinkDataProtection1796200000000,
      ],
    });
    try {
      await before.initialize();
      await before.runMigrations();
      await before.query(
        `INSERT INTO "cashlink_intents" ("idempotency_key", "operation", "method", "path", "request_body", "request_hash",
           "state", "attempts", "next_attempt_at", "created_at", "updated_at")
         VALUES ('old-1', 'investments.create', 'POST', '/v2/investments/', '{"json":{}}', 'h', 'pending', 0, 1, 1, 1)`,
      );
      await before.destroy();
      await after.initialize();
      expect((await after.runMigrations()).map((m) => m.name)).toEqual([
        CashlinkIntentsPurgeTombstones1795995000000.name,
        CashlinkIntentResolutions1796060000000.name,
        CashlinkDataProtection1796200000000.name,
      ]);
      const store = new CashlinkIntentStore(after, LEASE);
      expect(await store.find('old-1')).toMatchObject({
        requestBody: '{"json":{}}',
        purgedAt: null,
        conflicts: 0,
        erasedAt: null,
      });
      await after.undoLastMigration();
      await after.undoLastMigration();
      await after.undoLastMigration();
      expect(await after.query(`SELECT "idempotency_key" FROM "cashlink_intents"`)).toHaveLength(1);
    } finally {
      if (before.isInitialized) await before.destroy();
      if (after.isInitialized) await after.destroy();
      await db.drop();
    }
  });

  it('match the entity (no pending schema change)', async () => {
    const db = await createTestDatabase(kind);
    const ds = new DataSource({
      ...db.options,
      entities: [CashlinkIntent, CashlinkIntentResolution, CashlinkEncryptionKeyEntity],
      migrations: [
        CreateCashlinkIntents1795985000000,
        CashlinkIntentsPurgeTombstones1795995000000,
        CashlinkIntentResolutions1796060000000,
        CashlinkDataProtection1796200000000,
      ],
      synchronize: false,
      logging: false,
    } as ConstructorParameters<typeof DataSource>[0]);
    try {
      await ds.initialize();
      await ds.runMigrations();
      const sql = await ds.driver.createSchemaBuilder().log();
      expect(sql.upQueries.map((q) => q.query)).toEqual([]);
    } finally {
      if (ds.isInitialized) await ds.destroy();
      await db.drop();
    }
  });
});
