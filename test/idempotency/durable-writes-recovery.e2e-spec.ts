/**
 * Durable writes after the call: the recovery worker resumes pending intents, leases keep two
 * senders apart, old intents expire instead of being sent, and settled ones are purged to tombstones
 * that are never sent again.
 */
import {
  CASHLINK_EVENTS,
  CashlinkAbortedError,
  CashlinkServerError,
  IdempotencyConflictError,
} from 'nestjs-cashlink';
import { CashlinkIntent } from '../../libs/cashlink/src/idempotency/cashlink-intent.entity';
import {
  CashlinkIntentExpiredError,
  CashlinkIntentPurgedError,
} from '../../libs/cashlink/src/idempotency/cashlink-intent.error';
import { CashlinkIntentStore } from '../../libs/cashlink/src/idempotency/cashlink-intent.store';
import { prepareWrite } from '../../libs/cashlink/src/idempotency/intent-request';
import { describeEachDatabase } from '../support/databases';
import { FAST_IDEMPOTENCY } from './support/durable-app';
import {
  NO_WORKER,
  investmentInput,
  harness,
  requestsWithKey,
  investmentPosts,
  useDurableTestState,
  waitFor,
} from './support/durable-harness';

// Some cases wait out leases of a few seconds; the machine running them may be busy.
jest.setTimeout(60_000);

describeEachDatabase('durable writes: recovery, expiry and retention', (kind) => {
  const s = useDurableTestState(kind);

  it('an intent older than maxAgeMs expires and is never sent again', async () => {
    s.h = await harness(kind, s.emu, s.db, { ...NO_WORKER, maxAgeMs: 1000, retentionMs: 1000 });
    s.emu.injectFault({ route: 'POST /v2/investments/', kind: 'server_error', status: 503 });
    await expect(
      s.h.investments.create(investmentInput(s.h.investorId), { idempotencyKey: 'old-1' }),
    ).rejects.toBeInstanceOf(CashlinkServerError);
    s.emu.clearFaults();
    await new Promise((r) => setTimeout(r, 1050));
    const summary = await s.h.intents.resumeDue();
    expect(summary).toMatchObject({ claimed: 1, expired: 1 });
    expect(await s.h.intents.find('old-1')).toMatchObject({ state: 'expired' });
    expect(investmentPosts(s.emu)).toHaveLength(1); // the first, failed attempt only
    expect(s.h.events.map((e) => [e.name, e.event.key])).toContainEqual([
      CASHLINK_EVENTS.intentExpired,
      'old-1',
    ]);
    await expect(
      s.h.investments.create(investmentInput(s.h.investorId), { idempotencyKey: 'old-1' }),
    ).rejects.toBeInstanceOf(CashlinkIntentExpiredError);
    expect(investmentPosts(s.emu)).toHaveLength(1);
  });

  it('the recovery worker resumes pending intents on its own and emits the outcome', async () => {
    s.h = await harness(kind, s.emu, s.db, FAST_IDEMPOTENCY);
    s.emu.injectFault({ route: 'POST /v2/investments/', kind: 'drop_after_work', count: 3 });
    const results = await Promise.allSettled(
      [1, 2, 3].map((i) =>
        s.h!.investments.create(investmentInput(s.h!.investorId), { idempotencyKey: `w-${i}` }),
      ),
    );
    expect(results.every((r) => r.status === 'rejected')).toBe(true);
    await waitFor(async () => (await s.h!.intents.count()).pending === 0, 10_000);
    expect(s.emu.investments()).toHaveLength(3);
    for (const i of [1, 2, 3]) expect(s.emu.effectsByIdempotencyKey()[`w-${i}`]).toBe(1);
    expect(
      s.h.events
        .filter((e) => e.name === CASHLINK_EVENTS.intentSucceeded)
        .map((e) => e.event.key)
        .sort(),
    ).toEqual(expect.arrayContaining(['w-1', 'w-2', 'w-3']));
  });

  it('an intent whose holder died is taken over only after its lease ran out', async () => {
    s.h = await harness(kind, s.emu, s.db, { ...NO_WORKER, leaseMs: 1500 });
    const store = s.h.app.get(CashlinkIntentStore);
    const prepared = await prepareWrite(
      {
        operation: 'investments.create',
        method: 'POST',
        path: '/v2/investments/',
        json: investmentInput(s.h.investorId),
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
    expect(await s.h.intents.resumeDue()).toMatchObject({ claimed: 0 });
    expect(requestsWithKey(s.emu, 'orphan')).toHaveLength(0);
    await new Promise((r) => setTimeout(r, 1550));
    expect(await s.h.intents.resumeDue()).toMatchObject({ claimed: 1, succeeded: 1 });
    expect(await s.h.intents.find('orphan')).toMatchObject({ state: 'succeeded', attempts: 2 });
    expect(requestsWithKey(s.emu, 'orphan')).toHaveLength(1);
  });

  it('purges settled intents past their retention, keeps expired and pending ones', async () => {
    s.h = await harness(kind, s.emu, s.db, { ...NO_WORKER, maxAgeMs: 1000, retentionMs: 1000 });
    await s.h.investments.create(investmentInput(s.h.investorId), { idempotencyKey: 'keep-short' });
    await s.h.investments
      .create(investmentInput(s.h.investorId, 0), { idempotencyKey: 'fail-short' })
      .catch(() => undefined);
    await new Promise((r) => setTimeout(r, 1050));
    expect(await s.h.intents.purge()).toBeGreaterThanOrEqual(2);
    // A tombstone stays: the key, its state and times, no request, answer or error.
    expect(await s.h.intents.find('keep-short')).toMatchObject({
      state: 'succeeded',
      purgedAt: expect.any(Date),
      request: {},
    });
    const failed = await s.h.intents.find('fail-short');
    expect(failed).toMatchObject({ state: 'failed', purgedAt: expect.any(Date) });
    expect(failed?.lastError).toBeUndefined();
    expect(await s.h.intents.purge()).toBe(0);
  });

  it('a repeat of a purged key is never sent again: CashlinkIntentPurgedError names the original outcome', async () => {
    s.h = await harness(kind, s.emu, s.db, { ...NO_WORKER, maxAgeMs: 1000, retentionMs: 1000 });
    const first = await s.h.investments.create(investmentInput(s.h.investorId), {
      idempotencyKey: 'order-9',
    });
    await s.h.investments
      .create(investmentInput(s.h.investorId, 0), { idempotencyKey: 'order-10' })
      .catch(() => undefined);
    await new Promise((r) => setTimeout(r, 1050));
    expect(await s.h.intents.purge()).toBeGreaterThanOrEqual(2);
    const posts = investmentPosts(s.emu).length;

    // The same investment again after the retention (a retried job, a second click days later).
    const again = await s.h.investments
      .create(investmentInput(s.h.investorId), { idempotencyKey: 'order-9' })
      .catch((e: unknown) => e);
    expect(again).toBeInstanceOf(CashlinkIntentPurgedError);
    expect(again).toMatchObject({ idempotencyKey: 'order-9', originalState: 'succeeded' });
    expect((again as Error).message).toMatch(
      /order-9 is settled; its outcome was purged on \d{4}-\d\d-\d\dT.*; the original outcome was succeeded/,
    );
    await expect(s.h.intents.execute('order-9')).rejects.toBeInstanceOf(CashlinkIntentPurgedError);
    await expect(
      s.h.investments.create(investmentInput(s.h.investorId, 0), { idempotencyKey: 'order-10' }),
    ).rejects.toMatchObject({ originalState: 'failed' });
    // Another request under the purged key is still a conflict (the request hash is kept).
    await expect(
      s.h.investments.create(investmentInput(s.h.investorId, 2), { idempotencyKey: 'order-9' }),
    ).rejects.toBeInstanceOf(IdempotencyConflictError);
    // Inside a transaction too: the stored outcome is looked up after the commit.
    let sent!: Promise<unknown>;
    await s.h.dataSource.transaction(async (manager) => {
      sent = s.h!.investments.create(investmentInput(s.h!.investorId), {
        idempotencyKey: 'order-9',
        manager,
      });
      sent.catch(() => undefined);
    });
    await expect(sent).rejects.toBeInstanceOf(CashlinkIntentPurgedError);

    expect(investmentPosts(s.emu)).toHaveLength(posts);
    expect(s.emu.investments().filter((i) => i.id === first.id)).toHaveLength(1);
    expect(s.emu.investments()).toHaveLength(1);
  });

  it('a claim by a caller after the worker’s batch lease ran out is the only send (one process)', async () => {
    const lease = 3_000;
    s.h = await harness(kind, s.emu, s.db, {
      ...FAST_IDEMPOTENCY,
      leaseMs: lease,
      // The worker stays idle (first run at bootstrap, next one long after the test); resumeDue() is
      // called by the test. One at a time, so the second intent of the batch waits for the first.
      recovery: { intervalMs: 600_000, batchSize: 10, concurrency: 1 },
    });
    s.emu.injectFault({ route: 'POST /v2/investments/', kind: 'server_error', status: 503, count: 2 });
    for (const key of ['first-in-batch', 'second-in-batch']) {
      await expect(
        s.h.investments.create(investmentInput(s.h.investorId), { idempotencyKey: key }),
      ).rejects.toBeInstanceOf(CashlinkServerError);
    }
    const intents = s.h.dataSource.getRepository(CashlinkIntent);
    await intents.update({ key: 'first-in-batch' }, { nextAttemptAt: 1 });
    await intents.update({ key: 'second-in-batch' }, { nextAttemptAt: 2 });

    // The worker claims both; the first one's call takes longer than the lease.
    s.emu.injectFault({ route: 'POST /v2/investments/', kind: 'delay', delayMs: lease + 2_000, count: 1 });
    const worker = s.h.intents.resumeDue();
    // After the batch's lease ran out (and while the worker still waits for the first call), a caller
    // in the same process repeats the second key: it claims it and sends it, slowly.
    await new Promise((r) => setTimeout(r, lease + 1_000));
    s.emu.injectFault({ route: 'POST /v2/investments/', kind: 'delay', delayMs: lease + 1_500, count: 1 });
    const caller = s.h.investments.create(investmentInput(s.h.investorId), {
      idempotencyKey: 'second-in-batch',
    });
    // The worker reaches the second intent while the caller's call is in flight: it must not send it.
    const summary = await worker;
    const created = await caller;
    expect(created.id).toBeDefined();
    expect(summary).toMatchObject({ claimed: 1, succeeded: 1 });
    expect(requestsWithKey(s.emu, 'second-in-batch').map((r) => r.status)).toEqual([503, 201]);
    expect(s.emu.effectsByIdempotencyKey()['second-in-batch']).toBe(1);
    expect(await s.h.intents.find('second-in-batch')).toMatchObject({ state: 'succeeded' });
  });

  it('a caller waiting on another worker polls less and less often and stops with CashlinkAbortedError', async () => {
    s.h = await harness(kind, s.emu, s.db, { ...NO_WORKER, leaseMs: 10_000 });
    const store = s.h.app.get(CashlinkIntentStore);
    const input = investmentInput(s.h.investorId);
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
    const error = await s.h.investments
      .create(input, { idempotencyKey: 'held', signal: controller.signal })
      .catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(error).toBeInstanceOf(CashlinkAbortedError);
    expect((error as Error).message).toContain('POST /v2/investments/');
    // 100, 200, 400, 800 ms between looks (about 5 in 1.6 s; a fixed 100 ms would be about 16).
    expect(finds.mock.calls.filter(([key]) => key === 'held').length).toBeLessThanOrEqual(7);
    expect(requestsWithKey(s.emu, 'held')).toHaveLength(0);
  });

  it('works on a named DataSource', async () => {
    s.h = await harness(kind, s.emu, s.db, NO_WORKER, { dataSourceName: 'cashlink' });
    await s.h.investments.create(investmentInput(s.h.investorId), { idempotencyKey: 'named-1' });
    expect(
      await s.h.dataSource.getRepository(CashlinkIntent).countBy({ key: 'named-1', state: 'succeeded' }),
    ).toBe(1);
  });
});
