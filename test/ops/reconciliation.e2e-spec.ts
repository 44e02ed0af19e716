// Reconciliation of unknown outcomes against the emulator: an answer dropped after the effect leaves an
// intent `expired`; reconcile finds the object the emulator created; "created" settles the intent with
// it and nothing is sent with the old key again; "send again" makes exactly one new object under a new
// key; bad input changes nothing; 409s past the budget stop in `needs_review`.
import type { INestApplicationContext } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { HealthIndicatorService } from '@nestjs/terminus';
import { DataSource } from 'typeorm';
import {
  CASHLINK_EVENTS,
  CashlinkAuthService,
  CashlinkEventsService,
  CashlinkWebhooksService,
  CashlinkIntentNotAwaitingResolutionError,
  CashlinkIntentNotFoundError,
  CashlinkIntentsService,
  CashlinkInvestmentsService,
  CashlinkInvestorsService,
  CashlinkReconcileCandidateError,
  CashlinkReconcileUnsupportedError,
  CashlinkReconciliationService,
  CashlinkResolutionInputError,
  type IntentResolvedEvent,
  type IntentSettledEvent,
} from 'nestjs-cashlink';
import {
  type CashlinkEmulator,
  EMULATOR_CAMPAIGN_ID,
  exampleInvestorInput,
  startCashlinkEmulator,
} from 'nestjs-cashlink/testing';
import { CashlinkHealthIndicators } from '../../src/health/cashlink.health';
import { api, getToken } from '../emulator/emulator-test.helpers';
import { FAST_IDEMPOTENCY, startDurableApp } from '../idempotency/support/durable-app';
import { createTestDatabase, describeEachDatabase, type TestDatabase } from '../support/databases';

jest.setTimeout(60_000);

const SIGNED_AT = '2026-11-24T10:00:00.000Z';

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > end) throw new Error(`condition not met in ${ms} ms: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describeEachDatabase('reconciliation', (kind) => {
  let emu: CashlinkEmulator;
  let db: TestDatabase;
  let app: INestApplicationContext;
  let intents: CashlinkIntentsService;
  let reconciliation: CashlinkReconciliationService;
  let investments: CashlinkInvestmentsService;
  let investorId: string;

  const postsWith = (key: string): number =>
    emu.requests().filter((r) => r.method === 'POST' && r.idempotencyKey === key).length;
  const order = (units: number) => ({
    investor_id: investorId,
    campaign_id: EMULATOR_CAMPAIGN_ID,
    units,
    signed_at: SIGNED_AT,
  });

  beforeEach(async () => {
    emu = await startCashlinkEmulator();
    db = await createTestDatabase(kind);
    app = await startDurableApp({
      database: db.options,
      baseUrl: emu.baseUrl,
      tokenUrl: emu.tokenUrl,
      clientId: emu.clientId,
      clientSecret: emu.clientSecret,
      maxRetries: 0,
      idempotency: { ...FAST_IDEMPOTENCY, maxAgeMs: 300, conflictBudget: 3 },
    });
    intents = app.get(CashlinkIntentsService);
    reconciliation = app.get(CashlinkReconciliationService);
    investments = app.get(CashlinkInvestmentsService);
    investorId = (
      await app
        .get(CashlinkInvestorsService)
        .create(exampleInvestorInput() as never, { idempotencyKey: 'inv' })
    ).id;
  });
  afterEach(async () => {
    await app.close();
    await emu.close();
    await db.drop();
  });

  it('created: the candidate is the object Cashlink made; the intent succeeds with it, old key never sent again', async () => {
    const route = 'POST /v2/investments/';
    emu.injectFault({ route, kind: 'drop_after_work' });
    await expect(investments.create(order(1), { idempotencyKey: 'order-1' })).rejects.toThrow();
    await until(
      () => intents.find('order-1'),
      (i) => i?.state === 'expired',
    );
    emu.clearFaults();
    const made = emu.investments().filter((i) => i.units === 1);
    expect(made).toHaveLength(1);

    const found = await reconciliation.reconcile('order-1');
    expect(found).toMatchObject({ lookup: 'list', state: 'expired', complete: true });
    expect(found.candidates.map((c) => c.id)).toEqual([made[0]!.id]);
    expect(found.candidates[0]!.matched).toEqual(
      expect.arrayContaining(['investor_id', 'campaign_id', 'units', 'signed_at']),
    );

    const events: IntentSettledEvent[] = [];
    app.get(EventEmitter2).on(CASHLINK_EVENTS.intentSucceeded, (e: IntentSettledEvent) => events.push(e));
    const posts = postsWith('order-1');
    const result = await reconciliation.resolve('order-1', {
      action: 'created',
      objectId: made[0]!.id,
      actor: 'alice',
      reason: 'found in the list, same units and signature time',
    });
    expect(result.state).toBe('succeeded');
    expect(result.resolution).toMatchObject({ actor: 'alice', action: 'created', previousState: 'expired' });
    const view = await intents.find('order-1');
    expect(view).toMatchObject({ state: 'succeeded', response: { body: { id: made[0]!.id } } });
    expect(events.map((e) => e.key)).toEqual(['order-1']);
    // The resolution is a fact of the durable event log too, written with it: the expiry, then the success.
    const logged = await app.get(CashlinkEventsService).list({ source: 'intent', sourceId: 'order-1' });
    expect(logged.map((e) => e.name)).toEqual([
      CASHLINK_EVENTS.intentExpired,
      CASHLINK_EVENTS.intentSucceeded,
    ]);
    // Stored sealed like any answer (encryption at rest): the raw column does not show the object.
    const [raw] = (await app
      .get(DataSource)
      .query(
        `SELECT "response_body" AS "body" FROM "cashlink_intents" WHERE "idempotency_key" = 'order-1'`,
      )) as Array<{
      body: string;
    }>;
    expect(raw!.body).not.toContain(made[0]!.id);

    // A repeat of the key gets the stored object; the recovery worker has nothing to send.
    await expect(investments.create(order(1), { idempotencyKey: 'order-1' })).resolves.toMatchObject({
      id: made[0]!.id,
    });
    await new Promise((r) => setTimeout(r, 300));
    expect(postsWith('order-1')).toBe(posts);
    expect(emu.investments().filter((i) => i.units === 1)).toHaveLength(1);

    // A double submit: a typed error carrying the first resolution, nothing changed.
    const again = reconciliation.resolve('order-1', { action: 'abandoned', actor: 'bob', reason: 'twice' });
    await expect(again).rejects.toBeInstanceOf(CashlinkIntentNotAwaitingResolutionError);
    await expect(again).rejects.toMatchObject({ resolution: { actor: 'alice' } });
    expect((await intents.find('order-1'))?.state).toBe('succeeded');
  });

  it('send again: exactly one new object under a new key, the old key never sent again', async () => {
    // A 503 before the work: Cashlink made nothing.
    emu.injectFault({ route: 'POST /v2/investments/', kind: 'server_error', status: 503 });
    await expect(investments.create(order(2), { idempotencyKey: 'order-2' })).rejects.toThrow();
    await until(
      () => intents.find('order-2'),
      (i) => i?.state === 'expired',
    );
    emu.clearFaults();
    expect(emu.investments().filter((i) => i.units === 2)).toHaveLength(0);

    const found = await reconciliation.reconcile('order-2');
    expect(found.candidates).toEqual([]);

    // Bad input first: each is refused and changes nothing.
    await expect(
      reconciliation.resolve('nope', { action: 'abandoned', actor: 'a', reason: 'r' }),
    ).rejects.toBeInstanceOf(CashlinkIntentNotFoundError);
    await expect(
      reconciliation.resolve('order-2', {
        action: 'created',
        objectId: '00000000-0000-4000-8000-000000000000',
        actor: 'a',
        reason: 'r',
      }),
    ).rejects.toBeInstanceOf(CashlinkReconcileCandidateError);
    await expect(
      reconciliation.resolve('order-2', { action: 'abandoned', actor: ' ', reason: 'r' }),
    ).rejects.toBeInstanceOf(CashlinkResolutionInputError);
    await expect(
      reconciliation.resolve('order-2', { action: 'delete' as never, actor: 'a', reason: 'r' }),
    ).rejects.toBeInstanceOf(CashlinkResolutionInputError);
    await expect(
      reconciliation.resolve('inv', { action: 'abandoned', actor: 'a', reason: 'r' }),
    ).rejects.toBeInstanceOf(CashlinkIntentNotAwaitingResolutionError);
    expect(await reconciliation.findResolution('order-2')).toBeNull();
    expect((await intents.find('order-2'))?.state).toBe('expired');

    const posts = postsWith('order-2');
    const resolved: IntentResolvedEvent[] = [];
    app.get(EventEmitter2).on(CASHLINK_EVENTS.intentResolved, (e: IntentResolvedEvent) => resolved.push(e));
    const result = await reconciliation.resolve('order-2', {
      action: 'send_again',
      actor: 'alice',
      reason: 'not in the list',
    });
    expect(result).toMatchObject({
      state: 'replaced',
      newIntent: { key: 'order-2-again', state: 'succeeded' },
      resolution: { newKey: 'order-2-again' },
    });
    const made = emu.investments().filter((i) => i.units === 2);
    expect(made).toHaveLength(1);
    expect(resolved.map((e) => [e.key, e.resolution.action, e.resolution.newKey])).toEqual([
      ['order-2', 'send_again', 'order-2-again'],
    ]);
    expect((await reconciliation.findResolutionByNewKey('order-2-again'))?.key).toBe('order-2');
    expect((await intents.find('order-2-again'))?.response?.body).toMatchObject({ id: made[0]!.id });
    const [sealed] = (await app
      .get(DataSource)
      .query(
        `SELECT "request_body" AS "body" FROM "cashlink_intents" WHERE "idempotency_key" = 'order-2-again'`,
      )) as Array<{
      body: string;
    }>;
    expect(sealed!.body).not.toContain(investorId);
    await expect(investments.create(order(2), { idempotencyKey: 'order-2' })).rejects.toThrow(
      /order-2-again/,
    );

    const twice = reconciliation.resolve('order-2', {
      action: 'send_again',
      actor: 'alice',
      reason: 'again',
    });
    await expect(twice).rejects.toBeInstanceOf(CashlinkIntentNotAwaitingResolutionError);
    await new Promise((r) => setTimeout(r, 300));
    expect(postsWith('order-2')).toBe(posts);
    expect(postsWith('order-2-again')).toBe(1);
    expect(emu.investments().filter((i) => i.units === 2)).toHaveLength(1);
  });

  it('abandoned, and no lookup for what Cashlink cannot list', async () => {
    emu.injectFault({
      route: 'POST /v2/investors/{id}/wallets/eth-managed/',
      kind: 'server_error',
      status: 503,
    });
    await expect(
      app
        .get(CashlinkInvestorsService)
        .createWallet(investorId, { type: 'managed' }, { idempotencyKey: 'wallet-1' }),
    ).rejects.toThrow();
    await until(
      () => intents.find('wallet-1'),
      (i) => i?.state === 'expired',
    );
    const found = await reconciliation.reconcile('wallet-1');
    expect(found).toMatchObject({ lookup: 'none', candidates: [] });
    expect(found.note).toMatch(/no endpoint to list or read wallets/);
    await expect(
      reconciliation.resolve('wallet-1', { action: 'created', objectId: 'w', actor: 'a', reason: 'r' }),
    ).rejects.toBeInstanceOf(CashlinkReconcileUnsupportedError);
    // Two operators at once: one resolution wins, the other is told and changes nothing.
    const both = await Promise.allSettled([
      reconciliation.resolve('wallet-1', { action: 'abandoned', actor: 'alice', reason: 'no wallet wanted' }),
      reconciliation.resolve('wallet-1', { action: 'send_again', actor: 'bob', reason: 'retry it' }),
    ]);
    const won = both.filter((r) => r.status === 'fulfilled');
    expect(won).toHaveLength(1);
    expect(both.find((r) => r.status === 'rejected')).toMatchObject({
      reason: expect.any(CashlinkIntentNotAwaitingResolutionError),
    });
    const result = (won[0] as PromiseFulfilledResult<{ state: string }>).value;
    if (result.state === 'replaced') {
      expect((await intents.find('wallet-1-again'))?.state).toBeDefined();
    } else {
      expect(result.state).toBe('abandoned');
      expect(await intents.find('wallet-1-again')).toBeNull();
    }
    expect((await intents.find('wallet-1'))?.state).toBe(result.state);
  });

  it('409s past the conflict budget stop in needs_review with the reason', async () => {
    // Long maxAgeMs here: the budget, not the age, must be what stops the intent.
    await app.close();
    app = await startDurableApp({
      database: db.options,
      baseUrl: emu.baseUrl,
      tokenUrl: emu.tokenUrl,
      clientId: emu.clientId,
      clientSecret: emu.clientSecret,
      maxRetries: 0,
      idempotency: { ...FAST_IDEMPOTENCY, maxAgeMs: 60_000, conflictBudget: 3 },
    });
    intents = app.get(CashlinkIntentsService);
    reconciliation = app.get(CashlinkReconciliationService);
    investments = app.get(CashlinkInvestmentsService);
    // Cashlink holds the key for another body (e.g. a second system that reused our order id).
    const token = await getToken(emu);
    const held = await api(emu, token, 'POST', '/v2/investments/', {
      json: order(3),
      idempotencyKey: 'order-409',
    });
    expect(held.status).toBe(201);
    await expect(investments.create(order(4), { idempotencyKey: 'order-409' })).rejects.toThrow();
    const view = await until(
      () => intents.find('order-409'),
      (i) => i?.state === 'needs_review',
    );
    expect(view?.lastError?.reason).toMatch(/409 to 3 attempts in a row/);
    expect(view?.attempts).toBe(3);
    // The durable event log announces it as expired, like the in-process event: it waits for a person.
    const logged = await app.get(CashlinkEventsService).list({ source: 'intent', sourceId: 'order-409' });
    expect(logged.map((e) => e.name)).toEqual([CASHLINK_EVENTS.intentExpired]);
    const counts = await intents.count();
    expect(counts.needs_review).toBe(1);
    // The demo's health check reports it as waiting for a person (degraded, not down).
    const health = new CashlinkHealthIndicators(
      new HealthIndicatorService(),
      app.get(CashlinkAuthService),
      intents,
      app.get(CashlinkWebhooksService),
    );
    expect(await health.intentsBacklog()).toEqual({
      intents: { status: 'degraded', pending: 0, expired: 0, needsReview: 1, needingPerson: 1 },
    });
    const result = await reconciliation.resolve('order-409', {
      action: 'abandoned',
      actor: 'alice',
      reason: 'the key belongs to another system',
    });
    expect(result.resolution.previousState).toBe('needs_review');
  });
});
