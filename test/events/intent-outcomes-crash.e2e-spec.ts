// Intent outcomes through the event log: a process killed after settlements committed and before
// their events were dispatched loses none of them; after a restart every outcome reaches its
// (transactional) handler exactly once.
import { type CashlinkEmulator, startCashlinkEmulator } from 'nestjs-cashlink/testing';
import { describeEachDatabase } from '../support/databases';
import type { EventsAppConfig } from './fixtures/events-app';
import { spawnEventsApp, type EventsAppProcess } from './fixtures/spawn-events-app';
import { closeEventsDatabase, countEvents, effects, openEventsDatabase, waitFor } from './support';

jest.setTimeout(180_000);

const COUNT = 40;

describeEachDatabase('intent outcomes survive a SIGKILL between commit and dispatch', (kind) => {
  let handle: Awaited<ReturnType<typeof openEventsDatabase>> | undefined;
  let emu: CashlinkEmulator;
  let app: EventsAppProcess | undefined;

  beforeAll(async () => {
    handle = await openEventsDatabase(kind);
    emu = await startCashlinkEmulator();
  });
  afterAll(async () => {
    await app?.kill('SIGKILL');
    await emu.close();
    await closeEventsDatabase(handle);
  });

  const count = async (sql: string): Promise<number> =>
    Number(((await handle!.dataSource.query(sql)) as Array<{ n: unknown }>)[0]!.n);

  it(`${COUNT} durable writes, killed twice: every outcome reaches the handler once`, async () => {
    const config = (dispatch: boolean): EventsAppConfig => ({
      db: handle!.db.options,
      cashlink: {
        baseUrl: emu.baseUrl,
        tokenUrl: emu.tokenUrl,
        clientId: emu.clientId,
        clientSecret: emu.clientSecret,
      },
      webhooks: false,
      idempotency: {
        leaseMs: 2_000,
        backoff: { initialDelayMs: 20, maxDelayMs: 100, multiplier: 2, jitter: true },
        recovery: { intervalMs: 50, batchSize: 50, concurrency: 10 },
      },
      events: { dispatch: { enabled: dispatch, intervalMs: 20, batchSize: 5, leaseMs: 1500 } },
      handlers: ['intentTx'],
      handlerDelayMs: 10,
    });
    const writes = { count: COUNT, prefix: 'outcome' };

    // 1. Settlements commit, their dispatch never runs (it is off): the kill lands between the two.
    app = await spawnEventsApp(config(false), writes);
    await waitFor(
      async () => (await count(`SELECT COUNT(*) AS n FROM cashlink_intents WHERE state <> 'pending'`)) >= 10,
      60_000,
      'settlements',
    );
    await app.kill('SIGKILL');
    const settledBeforeDispatch = await countEvents(handle!.dataSource, 'pending');
    expect(settledBeforeDispatch).toBeGreaterThanOrEqual(10);
    expect((await effects(handle!.dataSource, 'intentTx')).size).toBe(0);

    // 2. Dispatch on, killed while it delivers (some done, some not).
    app = await spawnEventsApp(config(true), writes);
    await waitFor(
      async () => (await effects(handle!.dataSource, 'intentTx')).size >= 3,
      60_000,
      'some delivered',
    );
    await app.kill('SIGKILL');
    expect(await countEvents(handle!.dataSource, 'pending')).toBeGreaterThan(0);

    // 3. Restart: the writes finish (recovery), every event is delivered.
    app = await spawnEventsApp(config(true), writes);
    await app.waitForLine(/^WRITES_DONE/, 90_000);
    await waitFor(
      async () =>
        (await count(`SELECT COUNT(*) AS n FROM cashlink_intents WHERE state = 'pending'`)) === 0 &&
        (await countEvents(handle!.dataSource, 'pending')) === 0,
      90_000,
      'every intent settled and every event delivered',
    );
    const settled = (await handle!.dataSource.query(
      `SELECT idempotency_key AS key, state FROM cashlink_intents`,
    )) as Array<{ key: string; state: string }>;
    expect(settled.length).toBe(COUNT + 1); // the writes and the investor
    const delivered = await effects(handle!.dataSource, 'intentTx');
    expect([...delivered.keys()].sort()).toEqual(settled.map((s) => s.key).sort());
    expect([...delivered.values()].filter((n) => n !== 1)).toEqual([]);
    // Handlers get the answer in clear (the intents table holds it sealed with the test key ring).
    const details = (await handle!.dataSource.query(
      `SELECT detail FROM test_effects WHERE handler = 'intentTx'`,
    )) as Array<{ detail: string }>;
    expect(details.filter((d) => !/^succeeded:\{"/.test(d.detail))).toEqual([]);
    const sealed = (await handle!.dataSource.query(
      `SELECT response_body FROM cashlink_intents WHERE state = 'succeeded' LIMIT 1`,
    )) as Array<{ response_body: string }>;
    expect(sealed[0]!.response_body.startsWith('{')).toBe(false);
  });
});
