import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { INestApplicationContext } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import {
  CASHLINK_EVENTS,
  CashlinkAbortedError,
  CashlinkDocumentsService,
  CashlinkInvestmentsService,
  CashlinkInvestorsService,
  CashlinkServerError,
  CashlinkValidationError,
  IdempotencyConflictError,
} from 'nestjs-cashlink';
import {
  type CashlinkEmulator,
  EMULATOR_CAMPAIGN_ID,
  exampleInvestorInput,
  startCashlinkEmulator,
} from 'nestjs-cashlink/testing';
import { CashlinkIntent } from '../../libs/cashlink/src/idempotency/cashlink-intent.entity';
import {
  CashlinkIntentExpiredError,
  CashlinkIntentPurgedError,
  CashlinkIntentRolledBackError,
} from '../../libs/cashlink/src/idempotency/cashlink-intent.error';
import { CashlinkIntentStore } from '../../libs/cashlink/src/idempotency/cashlink-intent.store';
import { CashlinkIntentsService } from '../../libs/cashlink/src/idempotency/cashlink-intents.service';
import { prepareWrite } from '../../libs/cashlink/src/idempotency/intent-request';
import type { CashlinkIdempotencyOptions } from '../../libs/cashlink/src/idempotency/idempotency.options';
import type { IntentSettledEvent } from '../../libs/cashlink/src/idempotency/intent-settled.event';
import {
  createTestDatabase,
  type DatabaseKind,
  describeEachDatabase,
  type TestDatabase,
} from '../support/databases';
import { FAST_IDEMPOTENCY, startDurableApp } from './support/durable-app';

const NO_WORKER: CashlinkIdempotencyOptions = { ...FAST_IDEMPOTENCY, recovery: false };

// Some cases wait out leases of a few seconds; the machine running them may be busy.
jest.setTimeout(60_000);

function investmentInput(investorId: string, units = 1) {
  return {
    investor_id: investorId,
    campaign_id: EMULATOR_CAMPAIGN_ID,
    units,
    signed_at: '2026-11-24T10:00:00.000Z',
  };
}

interface Harness {
  app: INestApplicationContext;
  investments: CashlinkInvestmentsService;
  investors: CashlinkInvestorsService;
  documents: CashlinkDocumentsService;
  intents: CashlinkIntentsService;
  dataSource: DataSource;
  events: { name: string; event: IntentSettledEvent }[];
  investorId: string;
}

async function harness(
  kind: DatabaseKind,
  emu: CashlinkEmulator,
  db: TestDatabase,
  idempotency: CashlinkIdempotencyOptions = NO_WORKER,
  extra: { dataSourceName?: string; maxRetries?: number } = {},
): Promise<Harness> {
  const app = await startDurableApp({
    database: db.options,
    baseUrl: emu.baseUrl,
    tokenUrl: emu.tokenUrl,
    clientId: emu.clientId,
    clientSecret: emu.clientSecret,
    idempotency,
    maxRetries: extra.maxRetries ?? 0,
    dataSourceName: extra.dataSourceName,
  });
  const events: Harness['events'] = [];
  const emitter = app.get(EventEmitter2);
  for (const name of [
    CASHLINK_EVENTS.intentSucceeded,
    CASHLINK_EVENTS.intentFailed,
    CASHLINK_EVENTS.intentExpired,
  ]) {
    emitter.on(name, (event: IntentSettledEvent) => events.push({ name, event }));
  }
  const investors = app.get(CashlinkInvestorsService);
  const investor = await investors.create(exampleInvestorInput() as never, {
    idempotencyKey: `investor-${kind}`,
  });
  return {
    app,
    investments: app.get(CashlinkInvestmentsService),
    investors,
    documents: app.get(CashlinkDocumentsService),
    intents: app.get(CashlinkIntentsService),
    dataSource: app.get<DataSource>(getDataSourceToken(extra.dataSourceName)),
    events,
    investorId: investor.id,
  };
}

function requestsWithKey(emu: CashlinkEmulator, key: string) {
  return emu.requests().filter((r) => r.idempotencyKey === key);
}

function investmentPosts(emu: CashlinkEmulator) {
  return emu.requests().filter((r) => r.route === 'POST /v2/investments/');
}

describeEachDatabase('durable writes', (kind) => {
  let emu: CashlinkEmulator;
  let db: TestDatabase;
  let h: Harness | undefined;

  beforeEach(async () => {
    emu = await startCashlinkEmulator();
    db = await createTestDatabase(kind);
  });
  afterEach(async () => {
    await h?.app.close();
    h = undefined;
    await emu.close();
    await db.drop();
  });

  it('records the intent before the call, settles it, and answers a repeat from storage without a request', async () => {
    h = await harness(kind, emu, db);
    const first = await h.investments.create(investmentInput(h.investorId), { idempotencyKey: 'order-1' });
    expect(first.units).toBe(1);
    expect(requestsWithKey(emu, 'order-1')).toHaveLength(1);
    const intent = await h.intents.find('order-1');
    expect(intent).toMatchObject({
      state: 'succeeded',
      attempts: 1,
      operation: 'investments.create',
      response: { status: 201 },
    });
    expect(h.events.filter((e) => e.event.key === 'order-1')).toEqual([
      {
        name: CASHLINK_EVENTS.intentSucceeded,
        event: expect.objectContaining({
          key: 'order-1',
          operation: 'investments.create',
          state: 'succeeded',
          response: { status: 201, body: first },
        }),
      },
    ]);

    const before = emu.requests().length;
    const again = await h.investments.create(investmentInput(h.investorId), { idempotencyKey: 'order-1' });
    expect(again).toEqual(first);
    expect(emu.requests().length).toBe(before);
    expect(emu.investments()).toHaveLength(1);
  });

  it('concurrent calls with one key send it once and all get the same answer', async () => {
    h = await harness(kind, emu, db);
    emu.injectFault({ route: 'POST /v2/investments/', kind: 'delay', delayMs: 100, count: 1 });
    const results = await Promise.all(
      Array.from({ length: 5 }, () =>
        h!.investments.create(investmentInput(h!.investorId), { idempotencyKey: 'twice' }),
      ),
    );
    expect(new Set(results.map((r) => r.id)).size).toBe(1);
    expect(requestsWithKey(emu, 'twice')).toHaveLength(1);
    expect(emu.investments()).toHaveLength(1);
  });

  it('a random UUIDv4 key when none is given', async () => {
    h = await harness(kind, emu, db);
    await h.investments.create(investmentInput(h.investorId));
    const rows = await h.intents.list({ state: 'succeeded' });
    const keys = rows.map((r) => r.key).filter((k) => !k.startsWith('investor-'));
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('the same key with a different request is an IdempotencyConflictError and sends nothing', async () => {
    h = await harness(kind, emu, db);
    await h.investments.create(investmentInput(h.investorId, 1), { idempotencyKey: 'order-2' });
    const before = emu.requests().length;
    await expect(
      h.investments.create(investmentInput(h.investorId, 2), { idempotencyKey: 'order-2' }),
    ).rejects.toBeInstanceOf(IdempotencyConflictError);
    expect(emu.requests().length).toBe(before);
    // Even while the first is still pending (never sent), a conflicting reuse sends nothing.
    emu.injectFault({ route: 'POST /v2/investments/', kind: 'server_error', status: 503, count: 1 });
    await expect(
      h.investments.create(investmentInput(h.investorId, 3), { idempotencyKey: 'order-3' }),
    ).rejects.toBeInstanceOf(CashlinkServerError);
    const beforeConflict = emu.requests().length;
    await expect(
      h.investments.create(investmentInput(h.investorId, 4), { idempotencyKey: 'order-3' }),
    ).rejects.toBeInstanceOf(IdempotencyConflictError);
    expect(emu.requests().length).toBe(beforeConflict);
  });

  it('a definitive 4xx settles failed; a repeat rethrows the same typed error without a request', async () => {
    h = await harness(kind, emu, db);
    const error = await h.investments
      .create(investmentInput(h.investorId, 0), { idempotencyKey: 'bad-1' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CashlinkValidationError);
    expect(await h.intents.find('bad-1')).toMatchObject({
      state: 'failed',
      lastError: { className: 'CashlinkValidationError', status: 400 },
    });
    expect(h.events.map((e) => [e.name, e.event.key])).toContainEqual([
      CASHLINK_EVENTS.intentFailed,
      'bad-1',
    ]);

    const before = emu.requests().length;
    const repeated = await h.investments
      .create(investmentInput(h.investorId, 0), { idempotencyKey: 'bad-1' })
      .catch((e: unknown) => e);
    expect(emu.requests().length).toBe(before);
    expect(repeated).toBeInstanceOf(CashlinkValidationError);
    expect((repeated as CashlinkValidationError).message).toBe((error as CashlinkValidationError).message);
    expect((repeated as CashlinkValidationError).fieldErrors).toEqual(
      (error as CashlinkValidationError).fieldErrors,
    );
    expect((repeated as CashlinkValidationError).status).toBe(400);
  });

  it('a transient failure leaves the intent pending with a backoff; resumeDue settles it with one effect', async () => {
    h = await harness(kind, emu, db);
    emu.injectFault({ route: 'POST /v2/investments/', kind: 'drop_after_work', count: 1 });
    await expect(
      h.investments.create(investmentInput(h.investorId), { idempotencyKey: 'lost-1' }),
    ).rejects.toThrow();
    const pending = await h.intents.find('lost-1');
    expect(pending).toMatchObject({
      state: 'pending',
      attempts: 1,
      lastError: { className: expect.stringMatching(/Network|Timeout/) },
    });
    expect(pending!.nextAttemptAt.getTime()).toBeGreaterThan(pending!.updatedAt.getTime() - 1);

    await new Promise((r) => setTimeout(r, 150)); // past the (short) backoff
    const summary = await h.intents.resumeDue();
    expect(summary).toMatchObject({ claimed: 1, succeeded: 1 });
    expect(await h.intents.find('lost-1')).toMatchObject({ state: 'succeeded', attempts: 2 });
    expect(emu.effectsByIdempotencyKey()['lost-1']).toBe(1);
    expect(emu.investments()).toHaveLength(1);
    expect(h.events.filter((e) => e.event.key === 'lost-1').map((e) => e.name)).toEqual([
      CASHLINK_EVENTS.intentSucceeded,
    ]);
  });

  it('a repeat of a pending key claims it and sends it again with the same key', async () => {
    h = await harness(kind, emu, db);
    emu.injectFault({ route: 'POST /v2/investments/', kind: 'server_error', status: 503, count: 1 });
    await expect(
      h.investments.create(investmentInput(h.investorId), { idempotencyKey: 'retry-1' }),
    ).rejects.toBeInstanceOf(CashlinkServerError);
    const created = await h.investments.create(investmentInput(h.investorId), { idempotencyKey: 'retry-1' });
    expect(created.id).toBeDefined();
    expect(investmentPosts(emu).map((r) => r.status)).toEqual([503, 201]);
    // Both attempts carried the same key.
    expect(requestsWithKey(emu, 'retry-1').map((r) => r.status)).toEqual([503, 201]);
  });

  it('CashlinkIntentsService.execute(key) sends a pending intent now and returns stored outcomes after', async () => {
    h = await harness(kind, emu, db);
    emu.injectFault({ route: 'POST /v2/investments/', kind: 'server_error', status: 503, count: 1 });
    await expect(
      h.investments.create(investmentInput(h.investorId), { idempotencyKey: 'manual-1' }),
    ).rejects.toBeInstanceOf(CashlinkServerError);
    const sent = await h.intents.execute<{ id: string }>('manual-1');
    expect(sent.id).toBeDefined();
    const before = emu.requests().length;
    expect(await h.intents.execute<{ id: string }>('manual-1')).toEqual(sent);
    expect(emu.requests().length).toBe(before);
    await expect(h.intents.execute('no-such-key')).rejects.toThrow(/No intent/);
  });

  describe('in the caller’s transaction ({ manager })', () => {
    it('commits the intent with the caller’s rows and calls Cashlink only after the commit', async () => {
      h = await harness(kind, emu, db);
      const { investments, dataSource, investorId } = h;
      let sentDuringTransaction = -1;
      const { created } = await dataSource.transaction(async (manager) => {
        const created = investments.create(investmentInput(investorId), { idempotencyKey: 'tx-1', manager });
        // give the write every chance to go out early
        await new Promise((r) => setTimeout(r, 50));
        await manager.query('SELECT 1');
        sentDuringTransaction = requestsWithKey(emu, 'tx-1').length;
        return { created };
      });
      expect(sentDuringTransaction).toBe(0);
      const investment = await created;
      expect(investment.units).toBe(1);
      expect(requestsWithKey(emu, 'tx-1')).toHaveLength(1);
      expect(await h.intents.find('tx-1')).toMatchObject({ state: 'succeeded' });
    });

    it('a rolled-back transaction leaves no intent and sends nothing', async () => {
      h = await harness(kind, emu, db);
      const { investments, dataSource, investorId } = h;
      let created: Promise<unknown> | undefined;
      await expect(
        dataSource.transaction(async (manager) => {
          created = investments.create(investmentInput(investorId), { idempotencyKey: 'tx-2', manager });
          await new Promise((r) => setTimeout(r, 20));
          throw new Error('business rule failed');
        }),
      ).rejects.toThrow('business rule failed');
      await expect(created).rejects.toBeInstanceOf(CashlinkIntentRolledBackError);
      await new Promise((r) => setTimeout(r, 100));
      expect(await h.intents.find('tx-2')).toBeNull();
      expect(await dataSource.getRepository(CashlinkIntent).countBy({ key: 'tx-2' })).toBe(0);
      expect(requestsWithKey(emu, 'tx-2')).toHaveLength(0);
    });

    it('a write in a savepoint that rolls back is not sent, even when the outer transaction commits', async () => {
      h = await harness(kind, emu, db);
      const { investments, dataSource, investorId } = h;
      let inner: Promise<unknown> | undefined;
      await dataSource.transaction(async (manager) => {
        await manager
          .transaction(async (nested) => {
            inner = investments.create(investmentInput(investorId), {
              idempotencyKey: 'tx-sp',
              manager: nested,
            });
            throw new Error('nested step failed');
          })
          .catch(() => undefined);
      });
      await expect(inner).rejects.toBeInstanceOf(CashlinkIntentRolledBackError);
      expect(await h.intents.find('tx-sp')).toBeNull();
      expect(requestsWithKey(emu, 'tx-sp')).toHaveLength(0);
    });

    it('a conflicting key fails the commit: the caller’s transaction rolls back and nothing is sent', async () => {
      h = await harness(kind, emu, db);
      const { investments, dataSource, investorId } = h;
      await investments.create(investmentInput(investorId, 1), { idempotencyKey: 'tx-3' });
      const before = emu.requests().length;
      let created: Promise<unknown> | undefined;
      await expect(
        dataSource.transaction(async (manager) => {
          await manager.query(`CREATE TABLE IF NOT EXISTS "tx_probe" ("id" integer)`);
          created = investments.create(investmentInput(investorId, 5), { idempotencyKey: 'tx-3', manager });
          return { created };
        }),
      ).rejects.toBeInstanceOf(IdempotencyConflictError);
      await expect(created).rejects.toBeInstanceOf(IdempotencyConflictError);
      expect(emu.requests().length).toBe(before);
    });

    it('a settled key repeated in a transaction returns the stored answer after the commit', async () => {
      h = await harness(kind, emu, db);
      const { investments, dataSource, investorId } = h;
      const first = await investments.create(investmentInput(investorId), { idempotencyKey: 'tx-4' });
      const before = emu.requests().length;
      const { again } = await dataSource.transaction(async (manager) => ({
        again: investments.create(investmentInput(investorId), { idempotencyKey: 'tx-4', manager }),
      }));
      expect(await again).toEqual(first);
      expect(emu.requests().length).toBe(before);
    });
  });

  it('an intent older than maxAgeMs expires and is never sent again', async () => {
    h = await harness(kind, emu, db, { ...NO_WORKER, maxAgeMs: 1000, retentionMs: 1000 });
    emu.injectFault({ route: 'POST /v2/investments/', kind: 'server_error', status: 503 });
    await expect(
      h.investments.create(investmentInput(h.investorId), { idempotencyKey: 'old-1' }),
    ).rejects.toBeInstanceOf(CashlinkServerError);
    emu.clearFaults();
    await new Promise((r) => setTimeout(r, 1050));
    const summary = await h.intents.resumeDue();
    expect(summary).toMatchObject({ claimed: 1, expired: 1 });
    expect(await h.intents.find('old-1')).toMatchObject({ state: 'expired' });
    expect(investmentPosts(emu)).toHaveLength(1); // the first, failed attempt only
    expect(h.events.map((e) => [e.name, e.event.key])).toContainEqual([
      CASHLINK_EVENTS.intentExpired,
      'old-1',
    ]);
    await expect(
      h.investments.create(investmentInput(h.investorId), { idempotencyKey: 'old-1' }),
    ).rejects.toBeInstanceOf(CashlinkIntentExpiredError);
    expect(investmentPosts(emu)).toHaveLength(1);
  });

  it('the recovery worker resumes pending intents on its own and emits the outcome', async () => {
    h = await harness(kind, emu, db, FAST_IDEMPOTENCY);
    emu.injectFault({ route: 'POST /v2/investments/', kind: 'drop_after_work', count: 3 });
    const results = await Promise.allSettled(
      [1, 2, 3].map((i) =>
        h!.investments.create(investmentInput(h!.investorId), { idempotencyKey: `w-${i}` }),
      ),
    );
    expect(results.every((r) => r.status === 'rejected')).toBe(true);
    await waitFor(async () => (await h!.intents.count()).pending === 0, 10_000);
    expect(emu.investments()).toHaveLength(3);
    for (const i of [1, 2, 3]) expect(emu.effectsByIdempotencyKey()[`w-${i}`]).toBe(1);
    expect(
      h.events
        .filter((e) => e.name === CASHLINK_EVENTS.intentSucceeded)
        .map((e) => e.event.key)
        .sort(),
    ).toEqual(expect.arrayContaining(['w-1', 'w-2', 'w-3']));
  });

  it('an intent whose holder died is taken over only after its lease ran out', async () => {
    h = await harness(kind, emu, db, { ...NO_WORKER, leaseMs: 1500 });
    const store = h.app.get(CashlinkIntentStore);
    const prepared = await prepareWrite(
      {
        operation: 'investments.create',
        method: 'POST',
        path: '/v2/investments/',
        json: investmentInput(h.investorId),
      },
      0,
    );
    const now = Date.now();
    await store.record(
      {
        key: 'orphan',
        operation: prepared.operation,
        method: prepared.method,
        path: prepared.path,
        requestBody: prepared.storedText,
        requestHash: prepared.hash,
      },
      now,
    );
    // A process claims it and dies (SIGKILL: no release).
    expect(await store.claim('orphan', 'dead-instance', now)).not.toBeNull();
    expect(await h.intents.resumeDue()).toMatchObject({ claimed: 0 });
    expect(requestsWithKey(emu, 'orphan')).toHaveLength(0);
    await new Promise((r) => setTimeout(r, 1550));
    expect(await h.intents.resumeDue()).toMatchObject({ claimed: 1, succeeded: 1 });
    expect(await h.intents.find('orphan')).toMatchObject({ state: 'succeeded', attempts: 2 });
    expect(requestsWithKey(emu, 'orphan')).toHaveLength(1);
  });

  it('purges settled intents past their retention, keeps expired and pending ones', async () => {
    h = await harness(kind, emu, db, { ...NO_WORKER, maxAgeMs: 1000, retentionMs: 1000 });
    await h.investments.create(investmentInput(h.investorId), { idempotencyKey: 'keep-short' });
    await h.investments
      .create(investmentInput(h.investorId, 0), { idempotencyKey: 'fail-short' })
      .catch(() => undefined);
    await new Promise((r) => setTimeout(r, 1050));
    expect(await h.intents.purge()).toBeGreaterThanOrEqual(2);
    // A tombstone stays: the key, its state and times, no request, answer or error.
    expect(await h.intents.find('keep-short')).toMatchObject({
      state: 'succeeded',
      purgedAt: expect.any(Date),
      request: {},
    });
    const failed = await h.intents.find('fail-short');
    expect(failed).toMatchObject({ state: 'failed', purgedAt: expect.any(Date) });
    expect(failed?.lastError).toBeUndefined();
    expect(await h.intents.purge()).toBe(0);
  });

  it('a repeat of a purged key is never sent again: CashlinkIntentPurgedError names the original outcome', async () => {
    h = await harness(kind, emu, db, { ...NO_WORKER, maxAgeMs: 1000, retentionMs: 1000 });
    const first = await h.investments.create(investmentInput(h.investorId), { idempotencyKey: 'order-9' });
    await h.investments
      .create(investmentInput(h.investorId, 0), { idempotencyKey: 'order-10' })
      .catch(() => undefined);
    await new Promise((r) => setTimeout(r, 1050));
    expect(await h.intents.purge()).toBeGreaterThanOrEqual(2);
    const posts = investmentPosts(emu).length;

    // The same investment again after the retention (a retried job, a second click days later).
    const again = await h.investments
      .create(investmentInput(h.investorId), { idempotencyKey: 'order-9' })
      .catch((e: unknown) => e);
    expect(again).toBeInstanceOf(CashlinkIntentPurgedError);
    expect(again).toMatchObject({ idempotencyKey: 'order-9', originalState: 'succeeded' });
    expect((again as Error).message).toMatch(
      /order-9 is settled; its outcome was purged on \d{4}-\d\d-\d\dT.*; the original outcome was succeeded/,
    );
    await expect(h.intents.execute('order-9')).rejects.toBeInstanceOf(CashlinkIntentPurgedError);
    await expect(
      h.investments.create(investmentInput(h.investorId, 0), { idempotencyKey: 'order-10' }),
    ).rejects.toMatchObject({ originalState: 'failed' });
    // Another request under the purged key is still a conflict (the request hash is kept).
    await expect(
      h.investments.create(investmentInput(h.investorId, 2), { idempotencyKey: 'order-9' }),
    ).rejects.toBeInstanceOf(IdempotencyConflictError);
    // Inside a transaction too: the stored outcome is looked up after the commit.
    let sent!: Promise<unknown>;
    await h.dataSource.transaction(async (manager) => {
      sent = h!.investments.create(investmentInput(h!.investorId), { idempotencyKey: 'order-9', manager });
      sent.catch(() => undefined);
    });
    await expect(sent).rejects.toBeInstanceOf(CashlinkIntentPurgedError);

    expect(investmentPosts(emu)).toHaveLength(posts);
    expect(emu.investments().filter((i) => i.id === first.id)).toHaveLength(1);
    expect(emu.investments()).toHaveLength(1);
  });

  it('a claim by a caller after the worker’s batch lease ran out is the only send (one process)', async () => {
    const lease = 3_000;
    h = await harness(kind, emu, db, {
      ...FAST_IDEMPOTENCY,
      leaseMs: lease,
      // The worker stays idle (first run at bootstrap, next one long after the test); resumeDue() is
      // called by the test. One at a time, so the second intent of the batch waits for the first.
      recovery: { intervalMs: 600_000, batchSize: 10, concurrency: 1 },
    });
    emu.injectFault({ route: 'POST /v2/investments/', kind: 'server_error', status: 503, count: 2 });
    for (const key of ['first-in-batch', 'second-in-batch']) {
      await expect(
        h.investments.create(investmentInput(h.investorId), { idempotencyKey: key }),
      ).rejects.toBeInstanceOf(CashlinkServerError);
    }
    const intents = h.dataSource.getRepository(CashlinkIntent);
    await intents.update({ key: 'first-in-batch' }, { nextAttemptAt: 1 });
    await intents.update({ key: 'second-in-batch' }, { nextAttemptAt: 2 });

    // The worker claims both; the first one's call takes longer than the lease.
    emu.injectFault({ route: 'POST /v2/investments/', kind: 'delay', delayMs: lease + 2_000, count: 1 });
    const worker = h.intents.resumeDue();
    // After the batch's lease ran out (and while the worker still waits for the first call), a caller
    // in the same process repeats the second key: it claims it and sends it, slowly.
    await new Promise((r) => setTimeout(r, lease + 1_000));
    emu.injectFault({ route: 'POST /v2/investments/', kind: 'delay', delayMs: lease + 1_500, count: 1 });
    const caller = h.investments.create(investmentInput(h.investorId), { idempotencyKey: 'second-in-batch' });
    // The worker reaches the second intent while the caller's call is in flight: it must not send it.
    const summary = await worker;
    const created = await caller;
    expect(created.id).toBeDefined();
    expect(summary).toMatchObject({ claimed: 1, succeeded: 1 });
    expect(requestsWithKey(emu, 'second-in-batch').map((r) => r.status)).toEqual([503, 201]);
    expect(emu.effectsByIdempotencyKey()['second-in-batch']).toBe(1);
    expect(await h.intents.find('second-in-batch')).toMatchObject({ state: 'succeeded' });
  });

  it('a caller waiting on another worker polls less and less often and stops with CashlinkAbortedError', async () => {
    h = await harness(kind, emu, db, { ...NO_WORKER, leaseMs: 10_000 });
    const store = h.app.get(CashlinkIntentStore);
    const input = investmentInput(h.investorId);
    const prepared = await prepareWrite(
      { operation: 'investments.create', method: 'POST', path: '/v2/investments/', json: input },
      0,
    );
    await store.record(
      {
        key: 'held',
        operation: prepared.operation,
        method: prepared.method,
        path: prepared.path,
        requestBody: prepared.storedText,
        requestHash: prepared.hash,
      },
      Date.now(),
    );
    // Another instance is sending it right now (its lease lasts longer than this test).
    expect(await store.claim('held', 'other-instance', Date.now())).not.toBeNull();
    const finds = jest.spyOn(store, 'find');
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(), 1_600);
    const error = await h.investments
      .create(input, { idempotencyKey: 'held', signal: controller.signal })
      .catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(error).toBeInstanceOf(CashlinkAbortedError);
    expect((error as Error).message).toContain('POST /v2/investments/');
    // 100, 200, 400, 800 ms between looks (about 5 in 1.6 s; a fixed 100 ms would be about 16).
    expect(finds.mock.calls.filter(([key]) => key === 'held').length).toBeLessThanOrEqual(7);
    expect(requestsWithKey(emu, 'held')).toHaveLength(0);
  });

  describe('documents', () => {
    let dir: string;
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'cashlink-docs-'));
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it('keeps the bytes of a Buffer upload and resends them after a lost answer', async () => {
      h = await harness(kind, emu, db);
      const pdf = Buffer.from('%PDF-1.4 durable document\n');
      emu.injectFault({ route: 'POST /v2/documents/', kind: 'drop_after_work', count: 1 });
      await expect(
        h.documents.upload(
          pdf,
          { filename: 'a.pdf', contentType: 'application/pdf' },
          { idempotencyKey: 'doc-1' },
        ),
      ).rejects.toThrow();
      expect((await h.intents.find('doc-1'))?.request.document).toMatchObject({
        filename: 'a.pdf',
        size: pdf.length,
      });
      await new Promise((r) => setTimeout(r, 150));
      expect(await h.intents.resumeDue()).toMatchObject({ succeeded: 1 });
      expect(emu.documents()).toHaveLength(1);
      expect(emu.effectsByIdempotencyKey()['doc-1']).toBe(1);
    });

    it('keeps a file path with its hash; a changed file is not resent (expired with the reason)', async () => {
      h = await harness(kind, emu, db);
      const file = join(dir, 'contract.pdf');
      writeFileSync(file, '%PDF-1.4 original\n');
      emu.injectFault({ route: 'POST /v2/documents/', kind: 'server_error', status: 503, count: 1 });
      await expect(
        h.documents.upload(
          file,
          { filename: 'c.pdf', contentType: 'application/pdf' },
          { idempotencyKey: 'doc-2' },
        ),
      ).rejects.toBeInstanceOf(CashlinkServerError);
      writeFileSync(file, '%PDF-1.4 someone else\n');
      await new Promise((r) => setTimeout(r, 150));
      expect(await h.intents.resumeDue()).toMatchObject({ expired: 1 });
      const row = await h.intents.find('doc-2');
      expect(row?.state).toBe('expired');
      expect(row?.lastError?.reason).toMatch(/changed/);
      expect(emu.documents()).toHaveLength(0);
    });

    it('a stream larger than documentBytesLimit is sent once and recorded as not recoverable', async () => {
      h = await harness(kind, emu, db, { ...NO_WORKER, documentBytesLimit: 10 });
      const ok = await h.documents.upload(
        Readable.from([Buffer.from('%PDF-1.4 '), Buffer.from('streamed body\n')]),
        { filename: 's.pdf', contentType: 'application/pdf' },
        { idempotencyKey: 'doc-3' },
      );
      expect(ok.id).toBeDefined();
      expect(await h.intents.find('doc-3')).toMatchObject({
        state: 'succeeded',
        unrecoverableReason: expect.stringMatching(/stream larger/),
      });

      emu.injectFault({ route: 'POST /v2/documents/', kind: 'server_error', status: 503, count: 1 });
      await expect(
        h.documents.upload(
          Readable.from([Buffer.from('%PDF-1.4 another long stream\n')]),
          { filename: 't.pdf', contentType: 'application/pdf' },
          { idempotencyKey: 'doc-4' },
        ),
      ).rejects.toBeInstanceOf(CashlinkServerError);
      // Its only attempt failed and it cannot be resent: expired at once, for reconciliation.
      expect(await h.intents.find('doc-4')).toMatchObject({ state: 'expired' });
      expect(await h.intents.resumeDue()).toMatchObject({ claimed: 0 });
      expect(emu.documents()).toHaveLength(1);
    });

    it('recovery marks an upload that could not be kept as expired instead of sending anything', async () => {
      h = await harness(kind, emu, db, { ...NO_WORKER, documentBytesLimit: 4 });
      const prepared = await prepareWrite(
        {
          operation: 'documents.upload',
          method: 'POST',
          path: '/v2/documents/',
          multipart: {
            field: 'file',
            filename: 'big.pdf',
            contentType: 'application/pdf',
            source: { kind: 'stream', stream: Readable.from([Buffer.from('%PDF-1.4 too big to keep')]) },
          },
        },
        4,
      );
      expect(prepared.unrecoverableReason).not.toBeNull();
      // Recorded by a process that died before (or while) sending it.
      await h.app.get(CashlinkIntentStore).record(
        {
          key: 'doc-lost',
          operation: prepared.operation,
          method: prepared.method,
          path: prepared.path,
          requestBody: prepared.storedText,
          requestHash: prepared.hash,
          unrecoverableReason: prepared.unrecoverableReason,
        },
        Date.now(),
      );
      expect(await h.intents.resumeDue()).toMatchObject({ claimed: 1, expired: 1 });
      const row = await h.intents.find('doc-lost');
      expect(row).toMatchObject({
        state: 'expired',
        lastError: { reason: expect.stringMatching(/stream larger/) },
      });
      expect(emu.requests().filter((r) => r.route === 'POST /v2/documents/')).toHaveLength(0);
      expect(h.events.map((e) => [e.name, e.event.key])).toContainEqual([
        CASHLINK_EVENTS.intentExpired,
        'doc-lost',
      ]);
    });
  });

  it('works on a named DataSource', async () => {
    h = await harness(kind, emu, db, NO_WORKER, { dataSourceName: 'cashlink' });
    await h.investments.create(investmentInput(h.investorId), { idempotencyKey: 'named-1' });
    expect(
      await h.dataSource.getRepository(CashlinkIntent).countBy({ key: 'named-1', state: 'succeeded' }),
    ).toBe(1);
  });
});

async function waitFor(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
