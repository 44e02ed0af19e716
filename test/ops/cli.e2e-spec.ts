// The operators' CLI as a user runs it: the demo's `src/cli.ts` as a child process, on the demo's own
// configuration (its DataSource from DEMO_DATA_DIR / DATABASE_URL, Cashlink settings from the env), on a
// database left with expired intents and a dead webhook row. Exit codes and output are checked.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { type CashlinkEmulator, startCashlinkEmulator } from 'nestjs-cashlink/testing';
import { describeEachDatabase } from '../support/databases';
import {
  createDemoDatabase,
  type DemoDatabase,
  demoEnv,
  demoQuery,
  insertDeadDelivery,
  insertDeadWebhookRow,
  seedExpiredIntents,
} from './support/ops-fixture';

jest.setTimeout(90_000);

const ROOT = join(__dirname, '..', '..');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

describeEachDatabase('cashlink CLI', (kind) => {
  let emu: CashlinkEmulator;
  let db: DemoDatabase;

  const cli = (env: Record<string, string>, ...args: string[]): Promise<Run> =>
    new Promise((resolve) => {
      const base = { ...process.env };
      for (const name of Object.keys(base))
        if (/^(CASHLINK_|DEMO_|DATABASE_URL)/.test(name)) delete base[name];
      execFile(
        process.execPath,
        ['-r', '@swc-node/register', 'src/cli.ts', ...args],
        { cwd: ROOT, env: { ...base, ...env }, timeout: 60_000 },
        (error, stdout, stderr) => {
          const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
          resolve({ code, stdout, stderr });
        },
      );
    });

  beforeAll(async () => {
    emu = await startCashlinkEmulator();
    db = await createDemoDatabase(kind);
  });
  afterAll(async () => {
    await emu?.close();
    await db?.drop();
  });

  it('lists, shows (masked), reconciles and resolves; redispatches a dead row; exit codes 0 / 1 / 2', async () => {
    const env = demoEnv(emu, db);
    const { createdInvestmentId } = await seedExpiredIntents(emu, db);
    const deadId = await insertDeadWebhookRow(db);

    // The CLI's first run also applies the demo's own migrations (its app does, like `npm start`).
    const status = await cli(env, 'status', '--json');
    expect(status.code).toBe(0);
    const counts = JSON.parse(status.stdout) as {
      intents: Record<string, number>;
      webhooks: Record<string, number>;
    };
    expect(counts.intents).toMatchObject({ expired: 2, succeeded: 1, needs_review: 0 });
    expect(counts.webhooks.dead).toBe(1);

    const list = await cli(env, 'intents', 'list', '--state', 'expired');
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/order-1\s+investments\.create\s+expired/);
    expect(list.stdout).toMatch(/order-2\s+investments\.create\s+expired/);

    const masked = await cli(env, 'intents', 'show', 'inv-1');
    expect(masked.code).toBe(0);
    expect(masked.stdout).not.toContain('Mustermann');
    expect(masked.stdout).toContain('"surname": "•••"');
    const revealed = await cli(env, 'intents', 'show', 'inv-1', '--reveal');
    expect(revealed.stdout).toContain('"surname": "Mustermann"');

    const reconcile = await cli(env, 'intents', 'reconcile', 'order-1', '--json');
    expect(reconcile.code).toBe(0);
    const found = JSON.parse(reconcile.stdout) as { candidates: Array<{ id: string }> };
    expect(found.candidates.map((c) => c.id)).toEqual([createdInvestmentId]);

    const posts = (key: string) =>
      emu.requests().filter((r) => r.method === 'POST' && r.idempotencyKey === key).length;
    const before = { one: posts('order-1'), two: posts('order-2') };
    const resolved = await cli(
      env,
      'intents',
      'resolve',
      'order-1',
      '--action',
      'created',
      '--object',
      createdInvestmentId,
      '--actor',
      'ops-test',
      '--reason',
      'found by reconcile',
    );
    expect(resolved).toMatchObject({ code: 0 });
    expect(resolved.stdout).toContain('resolved as created by ops-test: now succeeded');

    const twice = await cli(
      env,
      'intents',
      'resolve',
      'order-1',
      '--action',
      'abandoned',
      '--reason',
      'again',
    );
    expect(twice.code).toBe(1);
    expect(twice.stderr).toMatch(
      /CashlinkIntentNotAwaitingResolutionError: .*already resolved \(created by ops-test/,
    );

    // The demo's subscription whose investment call this was: it follows the new key once sent again.
    const at = new Date().toISOString();
    await demoQuery(
      db,
      `INSERT INTO "demo_subscriptions" ("id", "customer_id", "campaign_id", "units", "status", "created_at", "updated_at")
       VALUES ('order-2', 'c-1', 'camp-1', 2, 'NEEDS_RECONCILIATION', ?, ?)`,
      [at, at],
    );
    const again = await cli(
      env,
      'intents',
      'resolve',
      'order-2',
      '--action',
      'send_again',
      '--actor',
      'ops-test',
      '--reason',
      'not at Cashlink',
    );
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('Sent again as order-2-again: succeeded');
    const sentAgain = emu.investments().filter((i) => i.units === 2);
    expect(sentAgain).toHaveLength(1);
    expect(
      await demoQuery(
        db,
        `SELECT "cashlink_investment_id" AS "id" FROM "demo_subscriptions" WHERE "id" = 'order-2'`,
      ),
    ).toEqual([{ id: sentAgain[0]!.id }]);
    expect({ one: posts('order-1'), two: posts('order-2') }).toEqual(before);

    const redispatch = await cli(env, 'webhooks', 'redispatch', deadId);
    expect(redispatch).toMatchObject({ code: 0 });
    expect(redispatch.stdout).toContain('Re-queued 1 webhook row');
    // Erasure on request: the investor's intent loses its personal data; an unknown key is reported.
    const erase = await cli(env, 'erase', 'inv-1', 'no-such-key');
    expect(erase.code).toBe(1);
    expect(erase.stdout).toContain('Erased 1 intent(s).');
    expect(erase.stderr).toContain('No intent with key(s) no-such-key');
    expect(
      await demoQuery(
        db,
        `SELECT "request_body" AS "body" FROM "cashlink_intents" WHERE "idempotency_key" = 'inv-1' AND "erased_at" IS NOT NULL`,
      ),
    ).toEqual([{ body: null }]);

    const usage = await cli(env, 'intents', 'list', '--state', 'bogus');
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('--state must be one of');
  });

  it('counts, lists and redispatches the dead deliveries of event handlers; usage errors exit 2', async () => {
    const env = demoEnv(emu, db);
    expect((await cli(env, 'status')).code).toBe(0); // applies the demo's migrations if not done yet
    const eventId = await insertDeadDelivery(db, 'Ledger.apply');

    const count = await cli(env, 'events', 'count', '--json');
    expect(count.code).toBe(0);
    expect(JSON.parse(count.stdout)).toMatchObject({ dead: 1 });

    const list = await cli(env, 'events', 'list', '--state', 'dead');
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(new RegExp(`${eventId}\\s+Ledger\\.apply\\s+dead\\s+8`));
    expect(list.stdout).toContain('the ledger service is down');

    expect((await cli(env, 'events', 'redispatch')).code).toBe(2); // neither an id nor --all-dead
    expect((await cli(env, 'events', 'redispatch', String(eventId))).code).toBe(2); // an id needs --handler
    const unknown = await cli(env, 'events', 'redispatch', String(eventId), '--handler', 'Nobody.home');
    expect(unknown.code).toBe(1);

    const again = await cli(env, 'events', 'redispatch', '--all-dead', '--handler', 'Ledger.apply');
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('Re-queued 1 dead delivery');
    const after = JSON.parse((await cli(env, 'events', 'count', '--json')).stdout) as Record<string, number>;
    expect(after.dead).toBe(0);
    expect(after.retry! + after.done!).toBe(1);
  });
});
