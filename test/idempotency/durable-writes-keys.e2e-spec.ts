/**
 * Durable writes, one effect per key: the intent is recorded before the call and settled after it;
 * a repeat is answered from storage; a key is sent once however often it is called; a conflicting
 * request, a definitive 4xx and a transient failure each end where they should.
 */
import {
  CASHLINK_EVENTS,
  CashlinkServerError,
  CashlinkValidationError,
  IdempotencyConflictError,
} from 'nestjs-cashlink';
import { describeEachDatabase } from '../support/databases';
import {
  investmentInput,
  harness,
  requestsWithKey,
  investmentPosts,
  useDurableTestState,
} from './support/durable-harness';

// Some cases wait out leases of a few seconds; the machine running them may be busy.
jest.setTimeout(60_000);

describeEachDatabase('durable writes: one effect per key', (kind) => {
  const s = useDurableTestState(kind);

  it('records the intent before the call, settles it, and answers a repeat from storage without a request', async () => {
    s.h = await harness(kind, s.emu, s.db);
    const first = await s.h.investments.create(investmentInput(s.h.investorId), {
      idempotencyKey: 'order-1',
    });
    expect(first.units).toBe(1);
    expect(requestsWithKey(s.emu, 'order-1')).toHaveLength(1);
    const intent = await s.h.intents.find('order-1');
    expect(intent).toMatchObject({
      state: 'succeeded',
      attempts: 1,
      operation: 'investments.create',
      response: { status: 201 },
    });
    expect(s.h.events.filter((e) => e.event.key === 'order-1')).toEqual([
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

    const before = s.emu.requests().length;
    const again = await s.h.investments.create(investmentInput(s.h.investorId), {
      idempotencyKey: 'order-1',
    });
    expect(again).toEqual(first);
    expect(s.emu.requests().length).toBe(before);
    expect(s.emu.investments()).toHaveLength(1);
  });

  it('concurrent calls with one key send it once and all get the same answer', async () => {
    s.h = await harness(kind, s.emu, s.db);
    s.emu.injectFault({ route: 'POST /v2/investments/', kind: 'delay', delayMs: 100, count: 1 });
    const results = await Promise.all(
      Array.from({ length: 5 }, () =>
        s.h!.investments.create(investmentInput(s.h!.investorId), { idempotencyKey: 'twice' }),
      ),
    );
    expect(new Set(results.map((r) => r.id)).size).toBe(1);
    expect(requestsWithKey(s.emu, 'twice')).toHaveLength(1);
    expect(s.emu.investments()).toHaveLength(1);
  });

  it('a new UUIDv7 key when none is given: later calls get keys that sort later', async () => {
    s.h = await harness(kind, s.emu, s.db);
    const before = Date.now();
    await s.h.investments.create(investmentInput(s.h.investorId, 1));
    await new Promise((resolve) => setTimeout(resolve, 2));
    await s.h.investments.create(investmentInput(s.h.investorId, 2));
    const rows = await s.h.intents.list({ state: 'succeeded' });
    const keys = rows
      .filter((r) => r.operation === 'investments.create')
      .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime())
      .map((r) => r.key);
    expect(keys).toHaveLength(2);
    for (const key of keys) {
      expect(key).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      // The first 48 bits are the time of the call, in ms.
      expect(parseInt(key.replace('-', '').slice(0, 12), 16)).toBeGreaterThanOrEqual(before);
    }
    expect(keys[0]! < keys[1]!).toBe(true);
  });

  it('the same key with a different request is an IdempotencyConflictError and sends nothing', async () => {
    s.h = await harness(kind, s.emu, s.db);
    await s.h.investments.create(investmentInput(s.h.investorId, 1), { idempotencyKey: 'order-2' });
    const before = s.emu.requests().length;
    await expect(
      s.h.investments.create(investmentInput(s.h.investorId, 2), { idempotencyKey: 'order-2' }),
    ).rejects.toBeInstanceOf(IdempotencyConflictError);
    expect(s.emu.requests().length).toBe(before);
    // Even while the first is still pending (never sent), a conflicting reuse sends nothing.
    s.emu.injectFault({ route: 'POST /v2/investments/', kind: 'server_error', status: 503, count: 1 });
    await expect(
      s.h.investments.create(investmentInput(s.h.investorId, 3), { idempotencyKey: 'order-3' }),
    ).rejects.toBeInstanceOf(CashlinkServerError);
    const beforeConflict = s.emu.requests().length;
    await expect(
      s.h.investments.create(investmentInput(s.h.investorId, 4), { idempotencyKey: 'order-3' }),
    ).rejects.toBeInstanceOf(IdempotencyConflictError);
    expect(s.emu.requests().length).toBe(beforeConflict);
  });

  it('a definitive 4xx settles failed; a repeat rethrows the same typed error without a request', async () => {
    s.h = await harness(kind, s.emu, s.db);
    const error = await s.h.investments
      .create(investmentInput(s.h.investorId, 0), { idempotencyKey: 'bad-1' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CashlinkValidationError);
    expect(await s.h.intents.find('bad-1')).toMatchObject({
      state: 'failed',
      lastError: { className: 'CashlinkValidationError', status: 400 },
    });
    expect(s.h.events.map((e) => [e.name, e.event.key])).toContainEqual([
      CASHLINK_EVENTS.intentFailed,
      'bad-1',
    ]);

    const before = s.emu.requests().length;
    const repeated = await s.h.investments
      .create(investmentInput(s.h.investorId, 0), { idempotencyKey: 'bad-1' })
      .catch((e: unknown) => e);
    expect(s.emu.requests().length).toBe(before);
    expect(repeated).toBeInstanceOf(CashlinkValidationError);
    expect((repeated as CashlinkValidationError).message).toBe((error as CashlinkValidationError).message);
    expect((repeated as CashlinkValidationError).fieldErrors).toEqual(
      (error as CashlinkValidationError).fieldErrors,
    );
    expect((repeated as CashlinkValidationError).status).toBe(400);
  });

  it('a transient failure leaves the intent pending with a backoff; resumeDue settles it with one effect', async () => {
    s.h = await harness(kind, s.emu, s.db);
    s.emu.injectFault({ route: 'POST /v2/investments/', kind: 'drop_after_work', count: 1 });
    await expect(
      s.h.investments.create(investmentInput(s.h.investorId), { idempotencyKey: 'lost-1' }),
    ).rejects.toThrow();
    const pending = await s.h.intents.find('lost-1');
    expect(pending).toMatchObject({
      state: 'pending',
      attempts: 1,
      lastError: { className: expect.stringMatching(/Network|Timeout/) },
    });
    expect(pending!.nextAttemptAt.getTime()).toBeGreaterThan(pending!.updatedAt.getTime() - 1);

    await new Promise((r) => setTimeout(r, 150)); // past the (short) backoff
    const summary = await s.h.intents.resumeDue();
    expect(summary).toMatchObject({ claimed: 1, succeeded: 1 });
    expect(await s.h.intents.find('lost-1')).toMatchObject({ state: 'succeeded', attempts: 2 });
    expect(s.emu.effectsByIdempotencyKey()['lost-1']).toBe(1);
    expect(s.emu.investments()).toHaveLength(1);
    expect(s.h.events.filter((e) => e.event.key === 'lost-1').map((e) => e.name)).toEqual([
      CASHLINK_EVENTS.intentSucceeded,
    ]);
  });

  it('a repeat of a pending key claims it and sends it again with the same key', async () => {
    s.h = await harness(kind, s.emu, s.db);
    s.emu.injectFault({ route: 'POST /v2/investments/', kind: 'server_error', status: 503, count: 1 });
    await expect(
      s.h.investments.create(investmentInput(s.h.investorId), { idempotencyKey: 'retry-1' }),
    ).rejects.toBeInstanceOf(CashlinkServerError);
    const created = await s.h.investments.create(investmentInput(s.h.investorId), {
      idempotencyKey: 'retry-1',
    });
    expect(created.id).toBeDefined();
    expect(investmentPosts(s.emu).map((r) => r.status)).toEqual([503, 201]);
    // Both attempts carried the same key.
    expect(requestsWithKey(s.emu, 'retry-1').map((r) => r.status)).toEqual([503, 201]);
  });

  it('CashlinkIntentsService.execute(key) sends a pending intent now and returns stored outcomes after', async () => {
    s.h = await harness(kind, s.emu, s.db);
    s.emu.injectFault({ route: 'POST /v2/investments/', kind: 'server_error', status: 503, count: 1 });
    await expect(
      s.h.investments.create(investmentInput(s.h.investorId), { idempotencyKey: 'manual-1' }),
    ).rejects.toBeInstanceOf(CashlinkServerError);
    const sent = await s.h.intents.execute<{ id: string }>('manual-1');
    expect(sent.id).toBeDefined();
    const before = s.emu.requests().length;
    expect(await s.h.intents.execute<{ id: string }>('manual-1')).toEqual(sent);
    expect(s.emu.requests().length).toBe(before);
    await expect(s.h.intents.execute('no-such-key')).rejects.toThrow(/No intent/);
  });
});
