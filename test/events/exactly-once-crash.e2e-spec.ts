// A transactional handler under SIGKILL: 1,000 changes (with duplicates, shuffled) delivered like
// Cashlink does (retried until 2xx) to an app killed 5 times at random moments and restarted. The handler
// inserts one row per change in the transaction that marks its delivery done: exactly 1,000 rows.
import { randomUUID } from 'node:crypto';
import { describeEachDatabase } from '../support/databases';
import { spawnEventsApp, type EventsAppProcess } from './fixtures/spawn-events-app';
import type { EventsAppConfig } from './fixtures/events-app';
import {
  closeEventsDatabase,
  countEvents,
  deliverUntilAccepted,
  effects,
  openEventsDatabase,
  waitFor,
} from './support';

jest.setTimeout(180_000);

const TOKEN = 'x'.repeat(40);
const CHANGES = 1000;
const DUPLICATES = 200;
const KILLS = 5;

describeEachDatabase('transactional handler under SIGKILL', (kind) => {
  let handle: Awaited<ReturnType<typeof openEventsDatabase>> | undefined;
  let app: EventsAppProcess | undefined;

  beforeAll(async () => {
    handle = await openEventsDatabase(kind);
  });
  afterAll(async () => {
    await app?.kill('SIGKILL');
    await closeEventsDatabase(handle);
  });

  it(`${CHANGES} changes, ${KILLS} kills: exactly one effect per change`, async () => {
    const config: EventsAppConfig = {
      db: handle!.db.options,
      // Only the event log dispatches here (no plain listeners).
      webhooks: { auth: { type: 'bearer', tokens: [TOKEN] }, dispatch: { enabled: false } },
      events: { dispatch: { intervalMs: 20, batchSize: 25, leaseMs: 1500 } },
      handlers: ['tx'],
      handlerDelayMs: 1,
    };
    const investments = Array.from({ length: 100 }, () => randomUUID());
    const base = Date.parse('2026-05-01T00:00:00.000Z');
    const bodies = Array.from({ length: CHANGES }, (_, i) =>
      JSON.stringify({
        investment_id: investments[i % investments.length],
        status: ['REVIEW_PENDING', 'ACCEPTED', 'PAID'][i % 3],
        changed_at: new Date(base + i).toISOString(),
      }),
    );
    const deliveries = [...bodies, ...bodies.slice(0, DUPLICATES)].sort(() => Math.random() - 0.5);

    app = await spawnEventsApp(config);
    let next = 0;
    const sending = Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < deliveries.length) {
          const body = deliveries[next++]!;
          await deliverUntilAccepted(() => app!.origin, TOKEN, body);
          // Spread over the kills, so each lands while changes arrive and wait for the handler.
          await new Promise((r) => setTimeout(r, 60));
        }
      }),
    );
    const ds = handle!.dataSource;
    const pendingAtKill: number[] = [];
    for (let k = 0; k < KILLS; k++) {
      // A random moment once the handler made progress since the last restart.
      const before = (await effects(ds, 'tx')).size;
      await waitFor(async () => (await effects(ds, 'tx')).size >= before + 20, 60_000, 'progress');
      await new Promise((r) => setTimeout(r, Math.random() * 300));
      // A moment with work in flight (events stored, not yet handled), killed as soon as it is seen:
      // counting again afterwards could find the handler caught up meanwhile.
      let pending = 0;
      await waitFor(
        async () => (pending = await countEvents(ds, 'pending')) > 0,
        10_000,
        'pending events',
      ).catch(() => undefined);
      pendingAtKill.push(pending);
      await app.kill('SIGKILL');
      app = await spawnEventsApp(config);
    }
    await sending;
    await waitFor(async () => (await countEvents(ds, 'done')) === CHANGES, 90_000, 'every event done');

    // Every kill left work in flight (pending events), or the test proves nothing.
    expect(pendingAtKill.filter((n) => n > 0)).toHaveLength(KILLS);
    expect(await countEvents(ds)).toBe(CHANGES);
    const rows = await effects(ds, 'tx');
    expect(rows.size).toBe(CHANGES);
    expect([...rows.values()].filter((n) => n !== 1)).toEqual([]);
    const total = (await ds.query("SELECT COUNT(*) AS n FROM test_effects WHERE handler = 'tx'")) as Array<{
      n: unknown;
    }>;
    expect(Number(total[0]!.n)).toBe(CHANGES);
  });
});
