import { EMULATOR_CAMPAIGN_ID, startCashlinkEmulator, type CashlinkEmulator } from 'nestjs-cashlink/testing';
import { api, createInvestor, fetchOrDropped, getToken } from './emulator-test.helpers';

describe('emulator: fault injection', () => {
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

  const investmentBody = () =>
    JSON.stringify({
      investor_id: investorId,
      campaign_id: EMULATOR_CAMPAIGN_ID,
      units: 1,
      signed_at: '2026-03-01T12:00:00.000Z',
    });
  const postInvestment = (key?: string) =>
    fetchOrDropped(`${emu.baseUrl}/v2/investments/`, {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${token}`,
        'Content-Type': 'application/json',
        ...(key ? { 'X-Idempotency-Key': key } : {}),
      },
      body: investmentBody(),
    });

  it('server_error answers 5xx (503 by default, or the given status) and does nothing', async () => {
    emu.injectFault({ route: 'POST /v2/investments/', kind: 'server_error', count: 1 });
    emu.injectFault({ route: 'POST /v2/investments/', kind: 'server_error', status: 502, count: 1 });
    expect(await postInvestment('k')).toMatchObject({ dropped: false, status: 503 });
    expect(await postInvestment('k')).toMatchObject({ dropped: false, status: 502 });
    expect(emu.investments()).toEqual([]);
    expect(emu.effectsByIdempotencyKey()).toEqual({});
    // The key was not used up: the next try does the work.
    expect(await postInvestment('k')).toMatchObject({ dropped: false, status: 201 });
    expect(
      emu
        .requests()
        .filter((r) => r.idempotencyKey === 'k')
        .map((r) => [r.status, r.fault]),
    ).toEqual([
      [503, 'server_error'],
      [502, 'server_error'],
      [201, undefined],
    ]);
  });

  it('drop_after_work does the work, stores the idempotent answer, then drops the connection', async () => {
    emu.injectFault({ route: 'POST /v2/investments/', kind: 'drop_after_work', count: 1 });
    expect(await postInvestment('lost')).toEqual({ dropped: true });
    expect(emu.investments()).toHaveLength(1);
    const entry = emu.requests().find((r) => r.idempotencyKey === 'lost')!;
    expect(entry).toMatchObject({ status: 'dropped', fault: 'drop_after_work', effect: true });
    const retry = await postInvestment('lost');
    expect(retry).toMatchObject({ dropped: false, status: 201, body: { id: emu.investments()[0]!.id } });
    expect(emu.investments()).toHaveLength(1);
    expect(emu.effectsByIdempotencyKey()).toEqual({ lost: 1 });
  });

  it('rate_limit answers 429 with Retry-After and does nothing', async () => {
    emu.injectFault({ kind: 'rate_limit', retryAfterSeconds: 7, count: 1 });
    const response = await fetch(`${emu.baseUrl}/v2/investors/`, {
      headers: { Authorization: `Bearer ${token}` },
    });
    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after')).toBe('7');
    expect(await response.json()).toEqual({ detail: expect.stringContaining('7 seconds') });
    expect((await api(emu, token, 'GET', '/v2/investors/')).status).toBe(200);
  });

  it('delay holds the answer (a client that gives up sees nothing), and the work still happens', async () => {
    emu.injectFault({ route: 'POST /v2/investments/', kind: 'delay', delayMs: 300, count: 1 });
    const client = new AbortController();
    const outcome = fetch(`${emu.baseUrl}/v2/investments/`, {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${token}`,
        'Content-Type': 'application/json',
        'X-Idempotency-Key': 'slow',
      },
      body: investmentBody(),
      signal: client.signal,
    }).then(
      () => 'answered',
      (error: Error) => error.name,
    );
    // The client gives up while the emulator holds the request (its key is reserved by then).
    while (!emu.requests().some((r) => r.idempotencyKey === 'slow')) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect(emu.investments()).toEqual([]);
    client.abort();
    expect(await outcome).toBe('AbortError');
    while (emu.investments().length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
    const entry = emu.requests().find((r) => r.idempotencyKey === 'slow')!;
    expect(entry).toMatchObject({ fault: 'delay', effect: true, status: 201 });
    expect(entry.endedAt - entry.startedAt).toBeGreaterThanOrEqual(290);
  });

  it('fires for the next N matching requests only, and only on the matching route', async () => {
    emu.injectFault({ route: 'GET /v2/investors/{id}/', kind: 'server_error', count: 2 });
    const path = `/v2/investors/${investorId}/`;
    expect((await api(emu, token, 'GET', '/v2/investors/')).status).toBe(200);
    expect((await api(emu, token, 'GET', path)).status).toBe(503);
    expect((await api(emu, token, 'GET', path)).status).toBe(503);
    expect((await api(emu, token, 'GET', path)).status).toBe(200);
  });

  it('fires by probability: 0 never, 1 always, unbounded until cleared', async () => {
    const never = emu.injectFault({ kind: 'server_error', probability: 0 });
    for (let i = 0; i < 10; i += 1) expect((await api(emu, token, 'GET', '/v2/products/')).status).toBe(200);
    emu.clearFaults(never);
    emu.injectFault({ kind: 'server_error', probability: 1 });
    for (let i = 0; i < 3; i += 1) expect((await api(emu, token, 'GET', '/v2/products/')).status).toBe(503);
    emu.clearFaults();
    expect((await api(emu, token, 'GET', '/v2/products/')).status).toBe(200);
  });

  it('hits about the given share of requests with probability 0.5', async () => {
    emu.injectFault({ kind: 'server_error', probability: 0.5 });
    const statuses = await Promise.all(
      Array.from({ length: 200 }, () => api(emu, token, 'GET', '/v2/products/').then((a) => a.status)),
    );
    const failed = statuses.filter((s) => s === 503).length;
    // Binomial(200, 0.5): outside 60..140 has a probability far below 1e-8.
    expect(failed).toBeGreaterThan(60);
    expect(failed).toBeLessThan(140);
  });

  it('global faults never touch the token endpoint; a fault on POST /oauth/token does', async () => {
    emu.injectFault({ kind: 'server_error' });
    await expect(getToken(emu)).resolves.toEqual(expect.any(String));
    emu.clearFaults();
    emu.injectFault({ route: 'POST /oauth/token', kind: 'rate_limit', retryAfterSeconds: 2, count: 1 });
    emu.injectFault({ route: 'POST /oauth/token', kind: 'drop_after_work', count: 1 });
    await expect(getToken(emu)).rejects.toThrow(/429/);
    await expect(getToken(emu)).rejects.toThrow();
    await expect(getToken(emu)).resolves.toEqual(expect.any(String));
    expect(
      emu
        .requests()
        .filter((r) => r.path === '/oauth/token')
        .map((r) => [r.status, r.fault]),
    ).toEqual([
      [200, undefined],
      [429, 'rate_limit'],
      ['dropped', 'drop_after_work'],
      [200, undefined],
    ]);
  });

  it('rejects invalid fault specs', () => {
    expect(() => emu.injectFault({ kind: 'explode' as never })).toThrow(/Unknown fault kind/);
    expect(() => emu.injectFault({ kind: 'delay', probability: 2 })).toThrow(/probability/);
    expect(() => emu.injectFault({ kind: 'delay', count: 0 })).toThrow(/count/);
    expect(() => emu.injectFault({ kind: 'delay', route: '/v2/investments/' })).toThrow(/route/);
  });

  it('the request log keeps start and end times so that overlapping requests can be checked', async () => {
    emu.injectFault({ route: 'GET /v2/products/', kind: 'delay', delayMs: 1000, count: 1 });
    const slow = api(emu, token, 'GET', '/v2/products/');
    while (!emu.requests().some((r) => r.path === '/v2/products/'))
      await new Promise((r) => setTimeout(r, 5));
    await api(emu, token, 'GET', '/v2/campaigns/');
    await slow;
    const [products, campaigns] = ['/v2/products/', '/v2/campaigns/'].map((path) =>
      emu.requests().find((r) => r.path === path)!,
    );
    expect(products!.startedAt).toBeLessThan(campaigns!.endedAt);
    expect(campaigns!.startedAt).toBeLessThan(products!.endedAt);
    expect(Number.isInteger(products!.startedAt)).toBe(false);
  });
});
