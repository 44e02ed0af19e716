// The ops page in a real browser (Debian's chromium, headless, driven by playwright-core): a webhook whose
// listener keeps failing goes `dead`; the page shows it; the operator ticks the confirmation and clicks
// Replay; the row is processed. Without the guard's approval: 403; a POST without the CSRF token: 403.
// With UPDATE_SCREENSHOTS=1 it saves docs/images/ops-page.png (the page with a dead row and an expired intent).
import 'reflect-metadata';
import { existsSync, mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type CanActivate,
  type ExecutionContext,
  type INestApplication,
  Injectable,
  Module,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { EventEmitterModule, OnEvent } from '@nestjs/event-emitter';
import { TypeOrmModule } from '@nestjs/typeorm';
import {
  CASHLINK_EVENTS,
  CASHLINK_MIGRATIONS,
  CashlinkIntentsService,
  CashlinkInvestmentsService,
  CashlinkInvestorsService,
  CashlinkModule,
  CashlinkEventsService,
  CashlinkWebhooksService,
  OnCashlinkEvent,
} from 'nestjs-cashlink';
import { CashlinkOpsPageModule } from 'nestjs-cashlink/ops';
import {
  type CashlinkEmulator,
  EMULATOR_CAMPAIGN_ID,
  exampleInvestorInput,
  startCashlinkEmulator,
  testEncryptionKeys,
} from 'nestjs-cashlink/testing';
import { type Browser, chromium } from 'playwright-core';
import { createTestDatabase, type TestDatabase } from '../support/databases';

jest.setTimeout(90_000);

const CHROMIUM = '/usr/bin/chromium';
const TOKEN = 'ops-page-test-webhook-token-0123456789abcdef';
// The committed screenshot is refreshed on request only (UPDATE_SCREENSHOTS=1), so a test run leaves the
// working tree clean; otherwise it goes to a temporary folder.
const SCREENSHOT =
  process.env.UPDATE_SCREENSHOTS === '1'
    ? join(__dirname, '..', '..', 'docs', 'images', 'ops-page.png')
    : join(tmpdir(), `cashlink-ops-page-${process.pid}.png`);

/** The listener of the app under test: fails while `failing` is set (a bug, later fixed). */
@Injectable()
class FlakyListener {
  static failing = true;
  static handled = 0;

  @OnEvent(CASHLINK_EVENTS.investmentStatusChanged, { suppressErrors: false })
  onChange(): void {
    if (FlakyListener.failing) throw new Error('the ledger service is down');
    FlakyListener.handled++;
  }
}

/** An event-log handler with the same bug: its delivery goes dead on its own, and is replayed alone. */
@Injectable()
class FlakyHandler {
  static handled = 0;

  @OnCashlinkEvent(CASHLINK_EVENTS.investmentStatusChanged, { name: 'Ledger.apply', maxAttempts: 2 })
  apply(): void {
    if (FlakyListener.failing) throw new Error('the ledger service is down');
    FlakyHandler.handled++;
  }
}

/** Stands in for the app's auth: approves a request that says it is alice. */
const testGuard: CanActivate = {
  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<{ headers: Record<string, string>; user?: unknown }>();
    if (req.headers['x-ops-user'] !== 'alice') return false;
    req.user = { name: 'alice' };
    return true;
  },
};

// Skipped only outside CI when the browser is missing; .ci/run installs it, and CI fails without it.
const describeIfChromium = existsSync(CHROMIUM) || process.env.CI === 'true' ? describe : describe.skip;

describeIfChromium.each(['express', 'fastify'] as const)('ops page in a browser [%s]', (platform) => {
  let emu: CashlinkEmulator;
  let db: TestDatabase;
  let app: INestApplication;
  let browser: Browser;
  let url: string;

  beforeAll(async () => {
    emu = await startCashlinkEmulator();
    db = await createTestDatabase('sqlite');
    @Module({
      imports: [
        EventEmitterModule.forRoot(),
        TypeOrmModule.forRoot({
          ...db.options,
          autoLoadEntities: true,
          migrations: CASHLINK_MIGRATIONS,
          migrationsRun: true,
        } as never),
        CashlinkModule.forRoot({
          baseUrl: emu.baseUrl,
          tokenUrl: emu.tokenUrl,
          clientId: emu.clientId,
          clientSecret: emu.clientSecret,
          http: { maxRetries: 0 },
          encryption: testEncryptionKeys(),
          idempotency: {
            maxAgeMs: 300,
            backoff: { initialDelayMs: 20, maxDelayMs: 100, multiplier: 2, jitter: true },
            recovery: { intervalMs: 50, batchSize: 50, concurrency: 5 },
          },
          webhooks: {
            path: 'hooks',
            auth: { type: 'bearer', tokens: [TOKEN] },
            dispatch: { intervalMs: 50, maxAttempts: 2, backoff: { initialDelayMs: 20, maxDelayMs: 50 } },
          },
          events: { dispatch: { intervalMs: 50, backoff: { initialDelayMs: 20, maxDelayMs: 50 } } },
        }),
        CashlinkOpsPageModule.forRoot({ path: 'admin/cashlink', guard: testGuard }),
      ],
      providers: [FlakyListener, FlakyHandler],
    })
    class OpsPageTestApp {}
    FlakyListener.failing = true;
    FlakyListener.handled = 0;
    FlakyHandler.handled = 0;
    app =
      platform === 'fastify'
        ? await NestFactory.create(OpsPageTestApp, new FastifyAdapter(), { logger: ['error'] })
        : await NestFactory.create(OpsPageTestApp, { logger: ['error'] });
    await app.listen(0, '127.0.0.1');
    url = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await emu?.close();
    await db?.drop();
  });

  it('shows a dead row; Replay (confirmed) gets it processed; guard and CSRF refuse', async () => {
    // An expired intent for the overview (answer dropped after Cashlink's work, until maxAgeMs).
    const investor = await app
      .get(CashlinkInvestorsService)
      .create(exampleInvestorInput() as never, { idempotencyKey: 'inv-1' });
    emu.injectFault({ route: 'POST /v2/investments/', kind: 'drop_after_work' });
    await app
      .get(CashlinkInvestmentsService)
      .create(
        {
          investor_id: investor.id,
          campaign_id: EMULATOR_CAMPAIGN_ID,
          units: 1,
          signed_at: '2026-11-24T10:00:00.000Z',
        },
        { idempotencyKey: 'order-1001' },
      )
      .catch(() => undefined);
    const intents = app.get(CashlinkIntentsService);
    const webhooks = app.get(CashlinkWebhooksService);

    // A webhook whose listener keeps failing: dead after maxAttempts.
    const sent = await fetch(`${url}/hooks`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        investment_id: '3f2c6a52-7f5e-4c59-9d59-0a6b1b3c9e11',
        status: 'ACCEPTED',
        changed_at: '2026-11-24T10:05:00.000Z',
      }),
    });
    expect(sent.status).toBeLessThan(300);
    const deadline = Date.now() + 15_000;
    const events = app.get(CashlinkEventsService);
    const deadDeliveries = async () => (await events.countDeliveries('Ledger.apply')).dead;
    while (
      (await webhooks.count({ state: 'dead' })) < 1 ||
      (await intents.count()).expired < 1 ||
      (await deadDeliveries()) < 1
    ) {
      if (Date.now() > deadline) throw new Error('no dead row / expired intent');
      await new Promise((r) => setTimeout(r, 50));
    }
    emu.clearFaults();
    const [dead] = await webhooks.list({ state: 'dead' });

    // Without the guard's approval: 403, nothing shown.
    const anonymous = await fetch(`${url}/admin/cashlink`);
    expect(anonymous.status).toBe(403);
    expect(await anonymous.text()).not.toContain(dead!.id);

    const context = await browser.newContext({
      extraHTTPHeaders: { 'x-ops-user': 'alice' },
      viewport: { width: 1200, height: 800 },
    });
    const page = await context.newPage();
    await page.goto(`${url}/admin/cashlink`);
    const row = page.locator(`tr[data-webhook="${dead!.id}"]`);
    await expect(row.textContent()).resolves.toContain('dead');
    await expect(page.locator('[data-count="intents-expired"] b').textContent()).resolves.toBe('1');
    expect(await page.textContent('body')).toContain('order-1001');
    if (platform === 'express') {
      mkdirSync(join(SCREENSHOT, '..'), { recursive: true });
      await page.screenshot({ path: SCREENSHOT, fullPage: true });
    }

    // A POST without the CSRF token (the guard approves, the token is missing): refused, nothing changed.
    const forged = await fetch(`${url}/admin/cashlink/webhooks/${dead!.id}/redispatch`, {
      method: 'POST',
      headers: { 'x-ops-user': 'alice', 'content-type': 'application/x-www-form-urlencoded' },
      body: 'confirm=yes',
    });
    expect(forged.status).toBe(403);
    expect((await webhooks.find(dead!.id))?.state).toBe('dead');

    // The bug is fixed; the operator replays the row.
    FlakyListener.failing = false;
    await row.locator('input[name="confirm"]').check();
    await Promise.all([page.waitForURL(/done=/), row.locator('button', { hasText: 'Replay' }).click()]);
    expect(await page.textContent('[role="status"]')).toContain(`Replaying webhook row ${dead!.id}`);
    const until = Date.now() + 15_000;
    while ((await webhooks.find(dead!.id))?.state !== 'processed') {
      if (Date.now() > until) throw new Error('the replayed row was not processed');
      await new Promise((r) => setTimeout(r, 50));
    }
    await page.goto(`${url}/admin/cashlink?webhooks=processed`);
    await expect(page.locator(`tr[data-webhook="${dead!.id}"]`).textContent()).resolves.toContain(
      'processed',
    );
    expect(FlakyListener.handled).toBe(1);

    // The handler's dead delivery is listed apart, and replayed to that handler only.
    const [delivery] = await events.deliveries({ state: 'dead', handler: 'Ledger.apply' });
    await page.goto(`${url}/admin/cashlink`);
    const deliveryRow = page.locator(`tr[data-delivery="${delivery!.eventId}:Ledger.apply"]`);
    await expect(deliveryRow.textContent()).resolves.toContain('the ledger service is down');
    await deliveryRow.locator('input[name="confirm"]').check();
    await Promise.all([
      page.waitForURL(/done=/),
      deliveryRow.locator('button', { hasText: 'Replay' }).click(),
    ]);
    expect(await page.textContent('[role="status"]')).toContain(`Replaying event ${delivery!.eventId}`);
    const replayed = Date.now() + 15_000;
    while ((await events.deliveries({ eventId: delivery!.eventId }))[0]?.state !== 'done') {
      if (Date.now() > replayed) throw new Error('the replayed delivery was not done');
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(FlakyHandler.handled).toBe(1);
    expect(FlakyListener.handled).toBe(1); // the plain listener did not run again

    // The expired intent's page looks for candidates at Cashlink and shows the object it made.
    await page.goto(`${url}/admin/cashlink/intents/order-1001?reconcile=1`);
    const made = emu.investments().find((i) => i.units === 1)!;
    expect(await page.textContent('body')).toContain(made.id);
    expect(await page.textContent('body')).not.toContain('Mustermann');

    // Resolved from the page as created: the guard's user is recorded, the intent succeeds with it.
    const form = page.locator('form', { has: page.locator(`input[name="objectId"][value="${made.id}"]`) });
    await form.locator('input[name="reason"]').fill('same investor, units and signature time');
    await form.locator('input[name="confirm"]').check();
    await Promise.all([page.waitForURL(/done=/), form.locator('button').click()]);
    expect(await page.textContent('[role="status"]')).toContain(
      'Resolved as created by alice: now succeeded',
    );
    expect(await intents.find('order-1001')).toMatchObject({
      state: 'succeeded',
      response: { body: { id: made.id } },
    });
    await context.close();
  });
});
