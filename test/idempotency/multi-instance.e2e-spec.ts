// Several app processes recover one backlog of 1,000 intents on one database. Each claims with a
// lease (FOR UPDATE SKIP LOCKED on Postgres), so no intent is ever sent by two instances at once:
// the emulator's log must show, for every key, requests that never overlap in time.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { CashlinkInvestorsService } from 'nestjs-cashlink';
import {
  type CashlinkEmulator,
  EMULATOR_CAMPAIGN_ID,
  exampleInvestorInput,
  startCashlinkEmulator,
} from 'nestjs-cashlink/testing';
import { CashlinkIntent } from '../../libs/cashlink/src/idempotency/cashlink-intent.entity';
import { CashlinkIntentStore } from '../../libs/cashlink/src/idempotency/cashlink-intent.store';
import { prepareWrite } from '../../libs/cashlink/src/idempotency/intent-request';
import { createTestDatabase, describeEachDatabase, type TestDatabase } from '../support/databases';
import { type ChildApp, spawnIntentApp } from './support/child-app';
import { startDurableApp } from './support/durable-app';

const BACKLOG = 1000;
const INSTANCES = 3;

jest.setTimeout(120_000);

describeEachDatabase('several instances', (kind) => {
  let emu: CashlinkEmulator;
  let db: TestDatabase;
  const children: ChildApp[] = [];

  beforeEach(async () => {
    emu = await startCashlinkEmulator();
    db = await createTestDatabase(kind);
  });
  afterEach(async () => {
    for (const child of children.splice(0)) await child.kill();
    await emu.close();
    await db.drop();
  });

  it(`${INSTANCES} processes settle a backlog of ${BACKLOG} intents; no key is ever sent by two at once`, async () => {
    // Migrate and create the investor with a short-lived app (its worker off).
    const setup = await startDurableApp({
      database: db.options,
      baseUrl: emu.baseUrl,
      tokenUrl: emu.tokenUrl,
      clientId: emu.clientId,
      clientSecret: emu.clientSecret,
      idempotency: { recovery: false },
    });
    const investor = await setup
      .get(CashlinkInvestorsService)
      .create(exampleInvestorInput() as never, { idempotencyKey: 'backlog-investor' });
    await setup.close();

    // Every request takes a while (so that a double send would overlap), and some answers get lost
    // (so that intents are retried, possibly by another instance).
    const route = 'POST /v2/investments/';
    emu.injectFault({ route, kind: 'drop_after_work', probability: 0.1 });
    emu.injectFault({ route, kind: 'delay', delayMs: 5 });

    // Every instance boots and its recovery worker polls before the backlog exists (a start barrier),
    // so that how the work is shared does not depend on how fast each process booted.
    const goFile = join(mkdtempSync(join(tmpdir(), 'cashlink-go-')), 'go');
    for (let i = 0; i < INSTANCES; i++) {
      children.push(
        spawnIntentApp(db, emu, {
          mode: 'recover',
          instance: `instance-${i}`,
          leaseMs: 10_000,
          batch: 20,
          concurrency: 5,
          goFile,
        }),
      );
    }
    await Promise.all(children.map((c) => c.ready));

    // The backlog: intents recorded by an app that died before sending them.
    const ds = new DataSource({
      ...db.options,
      entities: [CashlinkIntent],
      logging: false,
    } as ConstructorParameters<typeof DataSource>[0]);
    await ds.initialize();
    try {
      const prepared = await prepareWrite(
        {
          operation: 'investments.create',
          method: 'POST',
          path: '/v2/investments/',
          json: {
            investor_id: investor.id,
            campaign_id: EMULATOR_CAMPAIGN_ID,
            units: 1,
            signed_at: '2026-11-24T10:00:00.000Z',
          },
        },
        0,
      );
      const now = Date.now();
      const rows = Array.from({ length: BACKLOG }, (_, i) => ({
        key: `backlog-${i}`,
        operation: prepared.operation,
        method: prepared.method,
        path: prepared.path,
        requestBody: prepared.storedText,
        requestHash: prepared.hash,
        state: 'pending' as const,
        attempts: 0,
        nextAttemptAt: now,
        leaseOwner: null,
        leaseUntil: null,
        responseStatus: null,
        responseBody: null,
        lastError: null,
        unrecoverableReason: null,
        createdAt: now,
        updatedAt: now,
        settledAt: null,
      }));
      for (let i = 0; i < rows.length; i += 50) {
        await ds
          .createQueryBuilder()
          .insert()
          .into(CashlinkIntent)
          .values(rows.slice(i, i + 50))
          .execute();
      }
      // The instances' workers may already be working on it: count every state.
      const counts = await new CashlinkIntentStore(ds, 1).countByState();
      expect(counts.pending + counts.succeeded).toBe(BACKLOG + 1); // + the investor
      expect(counts.failed + counts.expired).toBe(0);
    } finally {
      await ds.destroy();
    }

    writeFileSync(goFile, 'go');
    const summaries = await Promise.all(children.map((c) => c.done));

    const settledBy = summaries.map((s) => s.settledHere as number);
    expect(settledBy.reduce((a, b) => a + b, 0)).toBe(BACKLOG);
    // The work was shared (each instance settled some).
    expect(settledBy.filter((n) => n > 0).length).toBeGreaterThanOrEqual(2);

    expect(emu.investments()).toHaveLength(BACKLOG);
    const effects = emu.effectsByIdempotencyKey();
    expect(Array.from({ length: BACKLOG }, (_, i) => effects[`backlog-${i}`]).filter((n) => n !== 1)).toEqual(
      [],
    );

    const byKey = new Map<string, { startedAt: number; endedAt: number }[]>();
    for (const r of emu.requests()) {
      if (r.route !== route || !r.idempotencyKey) continue;
      byKey.set(r.idempotencyKey, [...(byKey.get(r.idempotencyKey) ?? []), r]);
    }
    expect(byKey.size).toBe(BACKLOG);
    const overlaps: string[] = [];
    let retried = 0;
    for (const [key, requests] of byKey) {
      requests.sort((a, b) => a.startedAt - b.startedAt);
      if (requests.length > 1) retried++;
      for (let i = 1; i < requests.length; i++) {
        if (requests[i]!.startedAt < requests[i - 1]!.endedAt) overlaps.push(key);
      }
    }
    expect(overlaps).toEqual([]);
    expect(retried).toBeGreaterThan(0);
  });
});
