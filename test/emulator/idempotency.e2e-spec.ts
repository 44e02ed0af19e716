import { EMULATOR_CAMPAIGN_ID, startCashlinkEmulator, type CashlinkEmulator } from 'nestjs-cashlink/testing';
import { api, createInvestor, getToken, upload } from './emulator-test.helpers';

describe('emulator: X-Idempotency-Key', () => {
  let emu: CashlinkEmulator;
  let token: string;
  let investorId: string;

  beforeAll(async () => {
    emu = await startCashlinkEmulator();
    token = await getToken(emu);
  });
  afterAll(() => emu.close());
  beforeEach(async () => {
    emu.reset();
    investorId = await createInvestor(emu, token);
  });

  const body = (units = 1) => ({
    investor_id: investorId,
    campaign_id: EMULATOR_CAMPAIGN_ID,
    units,
    signed_at: '2026-03-01T12:00:00.000Z',
  });

  it('a repeat returns the stored status and body and creates nothing more', async () => {
    const first = await api(emu, token, 'POST', '/v2/investments/', {
      json: body(),
      idempotencyKey: 'key-1',
    });
    expect(first.status).toBe(201);
    emu.advanceInvestment(first.body.id);
    const again = await api(emu, token, 'POST', '/v2/investments/', {
      json: body(),
      idempotencyKey: 'key-1',
    });
    expect(again.status).toBe(201);
    // The stored answer of the first call, not the current state of the object.
    expect(again.body).toEqual(first.body);
    expect(emu.investments()).toHaveLength(1);
    expect(emu.effectsByIdempotencyKey()).toEqual({ 'key-1': 1 });
    const log = emu.requests().filter((r) => r.idempotencyKey === 'key-1');
    expect(log.map((r) => [r.status, r.effect, r.replayed])).toEqual([
      [201, true, false],
      [201, false, true],
    ]);
  });

  it('the same body with keys in another order is the same request', async () => {
    const first = await api(emu, token, 'POST', '/v2/investments/', { json: body(), idempotencyKey: 'k' });
    const reordered = Object.fromEntries(Object.entries(body()).reverse());
    const again = await api(emu, token, 'POST', '/v2/investments/', { json: reordered, idempotencyKey: 'k' });
    expect(again.body).toEqual(first.body);
  });

  it('a stored validation error is replayed too', async () => {
    const first = await api(emu, token, 'POST', '/v2/investments/', { json: body(0), idempotencyKey: 'bad' });
    expect(first.status).toBe(400);
    const again = await api(emu, token, 'POST', '/v2/investments/', { json: body(0), idempotencyKey: 'bad' });
    expect(again).toMatchObject({ status: 400, body: first.body });
    expect(emu.effectsByIdempotencyKey()).toEqual({});
  });

  it('the same key with another body → 409 {"detail"} and no effect', async () => {
    await api(emu, token, 'POST', '/v2/investments/', { json: body(1), idempotencyKey: 'k2' });
    const other = await api(emu, token, 'POST', '/v2/investments/', { json: body(2), idempotencyKey: 'k2' });
    expect(other.status).toBe(409);
    expect(other.body).toEqual({ detail: expect.stringContaining('different request') });
    expect(emu.investments()).toHaveLength(1);
  });

  it('the same key on another path → 409', async () => {
    const first = await api(emu, token, 'PATCH', `/v2/investors/${investorId}/`, {
      json: { communication: { email: 'a@example.com' } },
      idempotencyKey: 'k3',
    });
    expect(first.status).toBe(200);
    const other = await api(emu, token, 'POST', '/v2/investors/', {
      json: { communication: { email: 'a@example.com' } },
      idempotencyKey: 'k3',
    });
    expect(other.status).toBe(409);
  });

  it('a repeat while the first request is still being processed → 409, and the first completes', async () => {
    emu.injectFault({ route: 'POST /v2/investments/', kind: 'delay', delayMs: 1500, count: 1 });
    const slow = api(emu, token, 'POST', '/v2/investments/', { json: body(), idempotencyKey: 'busy' });
    // Wait until the emulator holds the key as in flight (the log entry gets the key when it is reserved).
    while (!emu.requests().some((r) => r.idempotencyKey === 'busy')) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const concurrent = await api(emu, token, 'POST', '/v2/investments/', {
      json: body(),
      idempotencyKey: 'busy',
    });
    expect(concurrent.status).toBe(409);
    expect(concurrent.body).toEqual({ detail: expect.stringContaining('still being processed') });
    expect((await slow).status).toBe(201);
    const after = await api(emu, token, 'POST', '/v2/investments/', { json: body(), idempotencyKey: 'busy' });
    expect(after.status).toBe(201);
    expect(emu.effectsByIdempotencyKey()).toEqual({ busy: 1 });
  });

  it('counts one effect per key under many concurrent duplicates', async () => {
    const answers = await Promise.all(
      Array.from({ length: 20 }, () =>
        api(emu, token, 'POST', '/v2/investments/', { json: body(), idempotencyKey: 'storm' }),
      ),
    );
    expect(answers.every((a) => a.status === 201 || a.status === 409)).toBe(true);
    expect(emu.investments()).toHaveLength(1);
    expect(emu.effectsByIdempotencyKey()).toEqual({ storm: 1 });
  });

  it('fingerprints uploads by file hash and name', async () => {
    const pdf = Buffer.from('%PDF-1.4 one');
    const first = await upload(emu, token, pdf, { idempotencyKey: 'doc' });
    expect(first.status).toBe(201);
    const again = await upload(emu, token, pdf, { idempotencyKey: 'doc' });
    expect(again.body).toEqual(first.body);
    expect((await upload(emu, token, Buffer.from('%PDF-1.4 two'), { idempotencyKey: 'doc' })).status).toBe(
      409,
    );
    expect((await upload(emu, token, pdf, { idempotencyKey: 'doc', filename: 'other.pdf' })).status).toBe(
      409,
    );
    expect(emu.documents()).toHaveLength(1);
    expect(emu.effectsByIdempotencyKey()).toEqual({ doc: 1 });
  });

  it('requests without a key are not deduplicated', async () => {
    await api(emu, token, 'POST', '/v2/investments/', { json: body() });
    await api(emu, token, 'POST', '/v2/investments/', { json: body() });
    expect(emu.investments()).toHaveLength(2);
  });

  it('after the keys are forgotten (retention elapsed), a replay creates a new object', async () => {
    await api(emu, token, 'POST', '/v2/investments/', { json: body(), idempotencyKey: 'old' });
    emu.forgetIdempotencyKeys();
    const replay = await api(emu, token, 'POST', '/v2/investments/', { json: body(), idempotencyKey: 'old' });
    expect(replay.status).toBe(201);
    expect(emu.investments()).toHaveLength(2);
    expect(emu.effectsByIdempotencyKey()).toEqual({ old: 2 });
  });
});
