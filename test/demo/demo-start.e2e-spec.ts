/**
 * `npm start` as a user runs it: a child process on a fresh data folder, the scenario printed as a
 * timeline, the final state checked through the app's own HTTP API; then a second start on the same data
 * folder (migrations already applied, a second scenario), and a start that only serves.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import Database from 'better-sqlite3';
import { startCashlinkEmulator, type CashlinkEmulator } from 'nestjs-cashlink/testing';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, describeIfPostgres, type TestDatabase } from '../support/databases';
import { DemoProcess, getJson, REPO_ROOT } from './support/demo-process';

jest.setTimeout(180_000);

interface SubscriptionView {
  id: string;
  status: string;
  cashlinkInvestmentId: string | null;
  documentId: string | null;
  units: number;
}
interface CustomerView {
  id: string;
  cashlinkInvestorId: string | null;
}
interface HealthView {
  status: string;
  details: Record<string, { status: string } & Record<string, unknown>>;
}

/** Runs an npm script in the repository and resolves with everything it printed. */
function runNpm(args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('npm', args, { cwd: REPO_ROOT, env, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`npm ${args.join(' ')} failed:\n${stdout}\n${stderr}`, { cause: error }));
      else resolve(`${stdout}\n${stderr}`);
    });
  });
}

const LIFECYCLE = ['REVIEW_PENDING', 'WAITING_FOR_ACCEPTANCE', 'ACCEPTED', 'PAID', 'DELIVERED'];

/** The timeline lines of one scenario, in the order the demo must print them. */
function expectTimelineInOrder(printed: string): void {
  const steps = [
    /investor created +customer \w{8} → Cashlink investor (\w{8})/,
    /repeat is harmless +same key → same investor \w{8} \(answered from the stored intent, 0 requests sent\)/,
    /document uploaded +document \w{8} \(subscription-form\.pdf, \d+ bytes\)/,
    /investment created +investment \w{8} for subscription \w{8}: \d+ units, .+, status KYC_PENDING/,
    ...LIFECYCLE.map(
      (status) => new RegExp(`webhook received +${status} +subscription \\w{8} \\w+ → ${status}`),
    ),
    /subscription DELIVERED +local subscription \w{8} is DELIVERED/,
    /Scenario complete\./,
  ];
  let from = 0;
  for (const step of steps) {
    const rest = printed.slice(from);
    const match = rest.match(step);
    if (!match || match.index === undefined) throw new Error(`timeline step ${step} missing after:\n${rest}`);
    from += match.index + match[0].length;
  }
  // The repeated call answered with the investor the first call created.
  const created = printed.match(/Cashlink investor (\w{8})/)?.[1];
  expect(printed).toMatch(new RegExp(`same investor ${created} `));
}

function expectNoPersonalData(printed: string): void {
  expect(printed).not.toContain('erika@example.com');
  expect(printed).not.toContain('Mustermann');
}

async function expectDeliveredState(url: string, subscriptions: number): Promise<void> {
  const subs = await getJson<SubscriptionView[]>(`${url}/subscriptions`);
  expect(subs.status).toBe(200);
  expect(subs.body).toHaveLength(subscriptions);
  for (const sub of subs.body) {
    expect(sub.status).toBe('DELIVERED');
    expect(sub.cashlinkInvestmentId).toMatch(/^[0-9a-f-]{36}$/);
    expect(sub.documentId).toMatch(/^[0-9a-f-]{36}$/);
    const one = await getJson<SubscriptionView>(`${url}/subscriptions/${sub.id}`);
    expect(one.body).toEqual(sub);
  }
  const customers = await getJson<CustomerView[]>(`${url}/customers`);
  expect(customers.body).toHaveLength(subscriptions);
  for (const customer of customers.body) expect(customer.cashlinkInvestorId).toMatch(/^[0-9a-f-]{36}$/);

  const health = await getJson<HealthView>(`${url}/health`);
  expect(health.status).toBe(200);
  expect(health.body.details.cashlink?.status).toBe('up');
  expect(health.body.details.intents).toMatchObject({ status: 'up', pending: 0, expired: 0 });
  expect(health.body.details.webhooks).toMatchObject({ status: 'up', waiting: 0, dead: 0 });
}

describe('npm start (the demo) on SQLite', () => {
  let dataDir: string;
  const running: DemoProcess[] = [];

  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'cashlink-demo-'));
  });
  afterEach(async () => {
    await Promise.all(running.splice(0).map((demo) => demo.stop()));
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('on a fresh data folder: boots, walks through the scenario, prints the timeline, and serves the final state', async () => {
    const demo = new DemoProcess([], { DEMO_DATA_DIR: join(dataDir, 'fresh-folder') });
    running.push(demo);
    const url = await demo.url();
    await demo.waitFor(/Serving on .*Try:/s, 90_000);
    expectTimelineInOrder(demo.printed);
    expect(demo.printed).toContain(`curl ${url}/health`);
    expect(demo.printed).toContain('the local emulator');
    expectNoPersonalData(demo.printed);
    await expectDeliveredState(url, 1);
    expect((await fetch(`${url}/health`)).headers.get('x-powered-by')).toBe('Express');

    // The keys are the demo's own ids: the customer's for its investor, the subscription's for its investment.
    const [customer] = (await getJson<CustomerView[]>(`${url}/customers`)).body;
    const [subscription] = (await getJson<SubscriptionView[]>(`${url}/subscriptions`)).body;
    const sqlite = new Database(join(dataDir, 'fresh-folder', 'demo.sqlite'), { readonly: true });
    try {
      const intents = sqlite
        .prepare('SELECT idempotency_key AS key, operation, state FROM cashlink_intents ORDER BY operation')
        .all();
      expect(intents).toEqual([
        { key: expect.any(String), operation: 'documents.upload', state: 'succeeded' },
        { key: subscription?.id, operation: 'investments.create', state: 'succeeded' },
        { key: customer?.id, operation: 'investors.create', state: 'succeeded' },
      ]);
    } finally {
      sqlite.close();
    }
  });

  it('on Fastify (DEMO_PLATFORM=fastify): the scenario, its document upload and the webhooks complete', async () => {
    const demo = new DemoProcess([], { DEMO_DATA_DIR: join(dataDir, 'fastify'), DEMO_PLATFORM: 'fastify' });
    running.push(demo);
    const url = await demo.url();
    await demo.waitFor(/Serving on .*Try:/s, 90_000);
    expectTimelineInOrder(demo.printed);
    expectNoPersonalData(demo.printed);
    await expectDeliveredState(url, 1);
    // Fastify, not Express, answers (Express would say so in X-Powered-By).
    expect((await fetch(`${url}/health`)).headers.get('x-powered-by')).toBeNull();
    // A refused upload is answered through Fastify's reply too.
    const missing = await fetch(`${url}/documents`, { method: 'POST', body: new FormData() });
    expect(missing.status).toBe(400);
  });

  it('on the same data folder again: migrations are already there, a second scenario completes', async () => {
    const demo = new DemoProcess([], { DEMO_DATA_DIR: join(dataDir, 'fresh-folder') });
    running.push(demo);
    const url = await demo.url();
    await demo.waitFor(/Serving on .*Try:/s, 90_000);
    expectTimelineInOrder(demo.printed);
    await expectDeliveredState(url, 2);
  });

  it('with --no-scenario (or DEMO_SCENARIO=false) only serves, with the data of earlier runs', async () => {
    const byFlag = new DemoProcess(['--no-scenario'], { DEMO_DATA_DIR: join(dataDir, 'fresh-folder') });
    running.push(byFlag);
    const url = await byFlag.url();
    await byFlag.waitFor(/Serving on .*Try:/s, 30_000);
    expect(byFlag.printed).not.toContain('Scenario');
    await expectDeliveredState(url, 2);
    await byFlag.stop();

    const byEnv = new DemoProcess([], { DEMO_DATA_DIR: join(dataDir, 'other'), DEMO_SCENARIO: 'false' });
    running.push(byEnv);
    const otherUrl = await byEnv.url();
    await byEnv.waitFor(/Serving on .*Try:/s, 30_000);
    expect(byEnv.printed).not.toContain('Scenario');
    expect((await getJson<unknown[]>(`${otherUrl}/subscriptions`)).body).toEqual([]);
  });
});

describeIfPostgres('npm start (the demo) on PostgreSQL (DATABASE_URL)', () => {
  let db: TestDatabase;
  let demo: DemoProcess | undefined;

  beforeAll(async () => {
    db = await createTestDatabase('postgres');
  });
  afterAll(async () => {
    await demo?.stop();
    await db.drop();
  });

  it('runs the migrations and the scenario on PostgreSQL', async () => {
    demo = new DemoProcess([], { DATABASE_URL: db.url });
    const url = await demo.url();
    await demo.waitFor(/Serving on .*Try:/s, 90_000);
    expect(demo.printed).toContain('PostgreSQL (DATABASE_URL)');
    expectTimelineInOrder(demo.printed);
    await expectDeliveredState(url, 1);
  });
});

describe('ormconfig.ts and the TypeORM CLI scripts', () => {
  let dataDir: string;
  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'cashlink-demo-cli-'));
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('npm run migration:run applies the library and demo migrations; the entities need no further migration', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, DEMO_DATA_DIR: dataDir };
    delete env.DATABASE_URL;
    const applied = await runNpm(['run', 'migration:run'], env);
    expect(applied).toContain('CreateDemoTables1796100000000 has been executed successfully');
    const generated = await runNpm(
      ['run', 'migration:generate', '--', 'src/migrations/Drift', '--check'],
      env,
    );
    expect(generated).toContain('No changes in database schema were found');
  });
});

describe('npm start against a configured Cashlink (an emulator standing in for it, OAuth2 webhooks)', () => {
  let emulator: CashlinkEmulator;
  let dataDir: string;
  let demo: DemoProcess | undefined;
  let url = '';

  beforeAll(async () => {
    emulator = await startCashlinkEmulator({ port: 0 });
    dataDir = mkdtempSync(join(tmpdir(), 'cashlink-demo-remote-'));
  });
  afterAll(async () => {
    await demo?.stop();
    await emulator.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('uses the CASHLINK_* settings, serves the OAuth token endpoint for webhooks and follows the status changes', async () => {
    const webhookSecret = randomBytes(24).toString('hex');
    demo = new DemoProcess([], {
      DEMO_DATA_DIR: dataDir,
      CASHLINK_BASE_URL: emulator.baseUrl,
      CASHLINK_TOKEN_URL: emulator.tokenUrl,
      CASHLINK_CLIENT_ID: emulator.clientId,
      CASHLINK_CLIENT_SECRET: emulator.clientSecret,
      CASHLINK_WEBHOOK_CLIENT_ID: 'cashlink-webhooks',
      CASHLINK_WEBHOOK_CLIENT_SECRET: webhookSecret,
    });
    url = await demo.url();
    await demo.waitFor(/Serving on .*Try:/s, 90_000);
    expect(demo.printed).not.toContain('the local emulator');
    expect(demo.printed).toContain(`give Cashlink the webhook URL ${url}/cashlink/webhooks`);
    expect(demo.printed).toMatch(/investment created .* status KYC_PENDING/);
    expect(demo.printed).toMatch(/waiting for Cashlink +status changes arrive by webhook/);

    // What the operator does at Cashlink: register the URL and the OAuth client credentials.
    emulator.configureWebhooks({
      url: `${url}/cashlink/webhooks`,
      auth: {
        type: 'oauth2',
        tokenUrl: `${url}/cashlink/webhooks/oauth/token`,
        clientId: 'cashlink-webhooks',
        clientSecret: webhookSecret,
      },
      retryInitialDelayMs: 100,
      retryMaxDelayMs: 1_000,
    });
    const [subscription] = (await getJson<SubscriptionView[]>(`${url}/subscriptions`)).body;
    const investmentId = subscription?.cashlinkInvestmentId as string;
    expect(emulator.investments().map((i) => i.id)).toEqual([investmentId]);
    for (const status of LIFECYCLE) {
      emulator.advanceInvestment(investmentId);
      await demo.waitFor(new RegExp(`webhook received +${status} `), 30_000);
    }
    const final = await getJson<SubscriptionView>(`${url}/subscriptions/${subscription?.id}`);
    expect(final.body.status).toBe('DELIVERED');
    expect(emulator.webhookDeliveries().some((d) => d.tokenFetched)).toBe(true);
    expect(emulator.webhookDeliveries().every((d) => d.responseStatus === 200)).toBe(true);
    for (const secret of [webhookSecret, emulator.clientSecret]) expect(demo.printed).not.toContain(secret);
  });

  it('keeps a customer when Cashlink is down, and creates its investor once when asked again (same key)', async () => {
    expect(url).not.toBe(''); // the demo of the test above
    emulator.injectFault({ route: 'POST /v2/investors/', kind: 'server_error', status: 503 });
    const response = await fetch(`${url}/customers`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ forename: 'Ada', surname: 'Lovelace', email: 'ada@example.com' }),
    });
    expect(response.status).toBe(202);
    const pending = (await response.json()) as CustomerView & { investorError: { error: string } };
    expect(pending.cashlinkInvestorId).toBeNull();
    expect(pending.investorError.error).toBe('CashlinkServerError');

    emulator.clearFaults();
    const retried = await fetch(`${url}/customers/${pending.id}/investor`, { method: 'POST' });
    expect(retried.status).toBe(201);
    const customer = (await retried.json()) as CustomerView;
    expect(customer.cashlinkInvestorId).toMatch(/^[0-9a-f-]{36}$/);
    const again = (await (
      await fetch(`${url}/customers/${pending.id}/investor`, { method: 'POST' })
    ).json()) as CustomerView;
    expect(again.cashlinkInvestorId).toBe(customer.cashlinkInvestorId);
    // The customer's id was the key of every attempt: one investor at Cashlink.
    expect(emulator.effectsByIdempotencyKey()[pending.id]).toBe(1);
    expect(emulator.investors().filter((i) => i.id === customer.cashlinkInvestorId)).toHaveLength(1);
    expect(
      emulator.requests().filter((r) => r.idempotencyKey === pending.id && r.status === 503).length,
    ).toBeGreaterThan(0);
  });
});
