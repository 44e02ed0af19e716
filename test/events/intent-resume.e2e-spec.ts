// Recovery in seconds: an instance dies with intents in flight; another instance, on the default
// idempotency options, resumes them within 10 s (a short lease kept alive by a heartbeat while the
// call runs, instead of a lease sized for the longest call).
import { type CashlinkEmulator, startCashlinkEmulator } from 'nestjs-cashlink/testing';
import { describeEachDatabase } from '../support/databases';
import type { EventsAppConfig } from './fixtures/events-app';
import { spawnEventsApp, type EventsAppProcess } from './fixtures/spawn-events-app';
import { closeEventsDatabase, openEventsDatabase, waitFor } from './support';

jest.setTimeout(120_000);

// The fixture makes its writes with 4 concurrent callers: 4 calls in flight at once.
const COUNT = 4;

describeEachDatabase('a crashed instance’s intents are resumed by another', (kind) => {
  let handle: Awaited<ReturnType<typeof openEventsDatabase>> | undefined;
  let emu: CashlinkEmulator;
  const apps: EventsAppProcess[] = [];

  beforeAll(async () => {
    handle = await openEventsDatabase(kind);
    emu = await startCashlinkEmulator();
  });
  afterAll(async () => {
    await Promise.all(apps.map((a) => a.kill('SIGKILL')));
    await emu.close();
    await closeEventsDatabase(handle);
  });

  const pending = async (): Promise<number> =>
    Number(
      (
        (await handle!.dataSource.query(
          `SELECT COUNT(*) AS n FROM cashlink_intents WHERE state = 'pending'`,
        )) as Array<{
          n: unknown;
        }>
      )[0]!.n,
    );

  const attempts = async (): Promise<Map<string, number>> => {
    const rows = (await handle!.dataSource.query(
      `SELECT idempotency_key AS key, attempts FROM cashlink_intents WHERE operation = 'investments.create'`,
    )) as Array<{ key: string; attempts: unknown }>;
    return new Map(rows.map((r) => [r.key, Number(r.attempts)]));
  };

  it(`within 10 s with default options (${COUNT} intents in flight at the kill)`, async () => {
    const config: EventsAppConfig = {
      db: handle!.db.options,
      cashlink: {
        baseUrl: emu.baseUrl,
        tokenUrl: emu.tokenUrl,
        clientId: emu.clientId,
        clientSecret: emu.clientSecret,
      },
      webhooks: false,
      // `idempotency` left out: the defaults (lease, heartbeat, recovery interval).
      handlers: [],
    };
    // The survivor runs first, with nothing to do.
    const survivor = await spawnEventsApp(config);
    apps.push(survivor);
    // Calls that hang: the victim's intents stay in flight, their leases renewed by its heartbeat.
    const hang = emu.injectFault({
      route: 'POST /v2/investments/',
      kind: 'delay',
      delayMs: 15_000,
      probability: 1,
    });
    const victim = await spawnEventsApp(config, { count: COUNT, prefix: 'resume' });
    apps.push(victim);
    await waitFor(async () => (await pending()) >= COUNT, 60_000, 'intents in flight');
    // Longer than a lease: the heartbeat keeps them with the victim (the survivor takes none).
    await new Promise((r) => setTimeout(r, 7_000));
    const leased = (await handle!.dataSource.query(
      `SELECT COUNT(*) AS n FROM cashlink_intents WHERE state = 'pending' AND lease_until > ${Date.now()}`,
    )) as Array<{ n: unknown }>;
    expect(Number(leased[0]!.n)).toBeGreaterThanOrEqual(COUNT);
    expect(emu.investments()).toHaveLength(0);

    const attemptsAtKill = await attempts();
    emu.clearFaults(hang);
    await victim.kill('SIGKILL');
    const killedAt = Date.now();
    // Resumed: the survivor claimed and sent each one again (Cashlink may still hold the key of the
    // dead instance's call, answering 409 until it finishes: settling then takes until that call ends).
    await waitFor(
      async () => {
        const now = await attempts();
        return [...attemptsAtKill].every(([key, n]) => (now.get(key) ?? 0) > n);
      },
      60_000,
      'every intent resumed',
    );
    const resumedMs = Date.now() - killedAt;
    process.stdout.write(`resumed ${resumedMs} ms after the kill\n`);
    expect(resumedMs).toBeLessThan(10_000);
    await waitFor(async () => (await pending()) === 0, 60_000, 'every intent settled');
    // Each key made exactly one investment.
    const effects = emu.effectsByIdempotencyKey();
    for (let i = 0; i < COUNT; i++) expect([i, effects[`resume-${i}`]]).toEqual([i, 1]);
  });
});
