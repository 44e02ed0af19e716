// Crash test: a real Nest app in a child process creates 100 investments with its own keys and is
// killed with SIGKILL at random moments, several times. The emulator runs here, so its state survives
// the kills. After restarts and recovery, every key must have produced exactly one investment.
import { DataSource, type Repository } from 'typeorm';
import { type CashlinkEmulator, startCashlinkEmulator } from 'nestjs-cashlink/testing';
import { CashlinkIntent } from '../../libs/cashlink/src/idempotency/cashlink-intent.entity';
import { createTestDatabase, describeEachDatabase, type TestDatabase } from '../support/databases';
import { type ChildApp, spawnIntentApp } from './support/child-app';

const COUNT = 100;
const KILLS = 4;

jest.setTimeout(120_000);

describeEachDatabase('crash recovery', (kind) => {
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

  it(`${COUNT} investments with own keys survive ${KILLS} SIGKILLs: exactly one effect per key, every intent succeeded`, async () => {
    // Slow answers and some lost ones, so that kills land mid-call and between record and settle.
    emu.injectFault({ route: 'POST /v2/investments/', kind: 'delay', delayMs: 15, probability: 0.5 });
    emu.injectFault({ route: 'POST /v2/investments/', kind: 'drop_after_work', probability: 0.1 });

    let kills = 0;
    for (let run = 0; run < KILLS; run++) {
      const child = spawnIntentApp(db, emu, { mode: 'create', count: COUNT, prefix: 'crash' });
      children.push(child);
      await Promise.race([child.ready, child.exited]);
      // A random moment while it works through the list: after a random number of new investments
      // (so that each run makes progress), plus a random few milliseconds.
      const target = emu.investments().length + 3 + Math.floor(Math.random() * 15);
      while (emu.investments().length < target && child.process.exitCode === null) {
        await new Promise((r) => setTimeout(r, 2));
      }
      await new Promise((r) => setTimeout(r, Math.random() * 20));
      // Kill while an intent is recorded but not settled (almost always the case already; on a busy
      // machine the random moment can fall between a settlement and the next record), so that every
      // kill leaves work for the recovery to finish.
      await withIntents(db, async (repo) => {
        const until = Date.now() + 2_000;
        while ((await repo.countBy({ state: 'pending' })) === 0 && Date.now() < until) {
          await new Promise((r) => setTimeout(r, 1));
        }
      });
      if (child.process.exitCode === null) kills++;
      await child.kill();
    }
    // Every run was killed before it finished, or the test proves nothing.
    expect(kills).toBe(KILLS);
    expect(emu.investments().length).toBeLessThan(COUNT);
    // The kills left intents mid-flight (recorded, maybe sent, not settled, some with a dead lease).
    const unsettled = await withIntents(db, (repo) => repo.countBy({ state: 'pending' }));
    expect(unsettled).toBeGreaterThan(0);

    emu.clearFaults();
    const last = spawnIntentApp(db, emu, { mode: 'create', count: COUNT, prefix: 'crash' });
    children.push(last);
    const summary = await last.done;
    expect(summary).toMatchObject({ counts: { pending: 0, failed: 0, expired: 0 } });

    expect(emu.investments()).toHaveLength(COUNT);
    const effects = emu.effectsByIdempotencyKey();
    for (let i = 0; i < COUNT; i++) expect([`crash-${i}`, effects[`crash-${i}`]]).toEqual([`crash-${i}`, 1]);
    expect(effects['crash-investor']).toBe(1);
    expect(emu.investors()).toHaveLength(1);

    const rows = await withIntents(db, (repo) => repo.find());
    const investments = rows.filter((r) => r.operation === 'investments.create');
    expect(investments).toHaveLength(COUNT);
    expect(investments.filter((r) => r.state !== 'succeeded')).toEqual([]);
  });
});

async function withIntents<T>(
  db: TestDatabase,
  use: (repo: Repository<CashlinkIntent>) => Promise<T>,
): Promise<T> {
  const ds = new DataSource({
    ...db.options,
    entities: [CashlinkIntent],
    logging: false,
  } as ConstructorParameters<typeof DataSource>[0]);
  await ds.initialize();
  try {
    return await use(ds.getRepository(CashlinkIntent));
  } finally {
    await ds.destroy();
  }
}
