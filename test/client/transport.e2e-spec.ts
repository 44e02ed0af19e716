import type { INestApplicationContext } from '@nestjs/common';
import {
  CashlinkAbortedError,
  CashlinkCampaignsService,
  CashlinkInvestmentsService,
  CashlinkInvestorsService,
  CashlinkNetworkError,
  CashlinkRateLimitError,
  CashlinkServerError,
  CashlinkTimeoutError,
} from 'nestjs-cashlink';
import {
  EMULATOR_CAMPAIGN_ID,
  exampleInvestorInput,
  startCashlinkEmulator,
  type CashlinkEmulator,
} from 'nestjs-cashlink/testing';
// The transport is internal (not exported from the public entry); tests reach it by path.
import { CashlinkHttpClient } from '../../libs/cashlink/src/http/cashlink-http.client';
import type { CashlinkInvestorCreate } from 'nestjs-cashlink';
import { apiRequests, createClientApp } from './support/client-fixture';

describe('transport: retries, timeouts, abort', () => {
  let emu: CashlinkEmulator;
  let app: INestApplicationContext;
  beforeAll(async () => {
    emu = await startCashlinkEmulator();
    app = await createClientApp(emu, { http: { timeoutMs: 300, maxRetries: 3 } });
  });
  afterAll(async () => {
    await app.close();
    await emu.close();
  });
  beforeEach(() => emu.reset());

  const investor = (): CashlinkInvestorCreate => exampleInvestorInput() as CashlinkInvestorCreate;

  it('retries a GET after 503 and succeeds', async () => {
    emu.injectFault({ route: 'GET /v2/campaigns/', kind: 'server_error', status: 503, count: 2 });
    await app.get(CashlinkCampaignsService).list();
    expect(apiRequests(emu, 'GET', '/v2/campaigns/').map((r) => r.status)).toEqual([503, 503, 200]);
  });

  it('gives up after maxRetries with CashlinkServerError', async () => {
    emu.injectFault({ route: 'GET /v2/campaigns/', kind: 'server_error', status: 502 });
    const error = await app
      .get(CashlinkCampaignsService)
      .list()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CashlinkServerError);
    expect((error as CashlinkServerError).status).toBe(502);
    expect(apiRequests(emu, 'GET', '/v2/campaigns/')).toHaveLength(4);
  });

  it('honours maxRetries per call', async () => {
    emu.injectFault({ route: 'GET /v2/campaigns/', kind: 'server_error', status: 503 });
    await expect(app.get(CashlinkCampaignsService).list({}, { maxRetries: 0 })).rejects.toThrow(
      CashlinkServerError,
    );
    expect(apiRequests(emu, 'GET', '/v2/campaigns/')).toHaveLength(1);
  });

  it('waits for Retry-After on 429 before retrying', async () => {
    emu.injectFault({ route: 'GET /v2/campaigns/', kind: 'rate_limit', retryAfterSeconds: 1, count: 1 });
    await app.get(CashlinkCampaignsService).list();
    const [limited, ok] = apiRequests(emu, 'GET', '/v2/campaigns/');
    expect([limited?.status, ok?.status]).toEqual([429, 200]);
    // The backoff alone would wait at most 20 ms; the gap shows Retry-After was honoured.
    expect(ok!.startedAt - limited!.endedAt).toBeGreaterThanOrEqual(950);
  });

  it('surfaces a lasting 429 as CashlinkRateLimitError with retryAfterMs', async () => {
    emu.injectFault({ route: 'GET /v2/campaigns/', kind: 'rate_limit', retryAfterSeconds: 0 });
    const error = await app
      .get(CashlinkCampaignsService)
      .list()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CashlinkRateLimitError);
    expect((error as CashlinkRateLimitError).retryAfterMs).toBe(0);
    expect(apiRequests(emu, 'GET', '/v2/campaigns/')).toHaveLength(4);
  });

  it('retries a keyed write after a dropped connection with the same key: one effect', async () => {
    emu.injectFault({ route: 'POST /v2/investors/', kind: 'drop_after_work', count: 2 });
    const created = await app
      .get(CashlinkInvestorsService)
      .create(investor(), { idempotencyKey: 'drop-key-1' });
    const posts = apiRequests(emu, 'POST', '/v2/investors/');
    expect(posts.map((r) => r.status)).toEqual(['dropped', 'dropped', 201]);
    expect(posts.map((r) => r.idempotencyKey)).toEqual(['drop-key-1', 'drop-key-1', 'drop-key-1']);
    expect(emu.effectsByIdempotencyKey()['drop-key-1']).toBe(1);
    expect(emu.investors().map((i) => i.id)).toEqual([created.id]);
  });

  it('uses a new UUIDv7 key when none is given, identical on every retry', async () => {
    // drop_after_work: the emulator logs the key of a dropped request (it answers a 503 fault before reading it).
    emu.injectFault({ route: 'POST /v2/investors/', kind: 'drop_after_work', count: 1 });
    await app.get(CashlinkInvestorsService).create(investor());
    const keys = apiRequests(emu, 'POST', '/v2/investors/').map((r) => r.idempotencyKey);
    expect(keys).toHaveLength(2);
    expect(keys[0]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(keys[1]).toBe(keys[0]);
  });

  it('retries after a timeout and succeeds', async () => {
    emu.injectFault({ route: 'GET /v2/campaigns/', kind: 'delay', delayMs: 1000, count: 1 });
    await app.get(CashlinkCampaignsService).list();
    expect(apiRequests(emu, 'GET', '/v2/campaigns/').length).toBeGreaterThanOrEqual(2);
  });

  it('surfaces lasting timeouts as CashlinkTimeoutError; per-call timeoutMs applies', async () => {
    emu.injectFault({ route: 'GET /v2/campaigns/', kind: 'delay', delayMs: 400 });
    const error = await app
      .get(CashlinkCampaignsService)
      .list({}, { timeoutMs: 100, maxRetries: 1 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CashlinkTimeoutError);
    expect((error as Error).message).toContain('within 100 ms');
    expect(apiRequests(emu, 'GET', '/v2/campaigns/')).toHaveLength(2);
  });

  it('never repeats a write without an idempotency key, and says so', async () => {
    const http = app.get(CashlinkHttpClient);
    emu.injectFault({ route: 'POST /v2/investors/', kind: 'server_error', status: 503 });
    const server = await http
      .request({ method: 'POST', path: '/v2/investors/', json: investor() })
      .catch((e: unknown) => e);
    expect(server).toBeInstanceOf(CashlinkServerError);
    expect((server as Error).message).toContain('without an idempotency key is never repeated');
    expect(apiRequests(emu, 'POST', '/v2/investors/')).toHaveLength(1);

    emu.clearFaults();
    emu.injectFault({ route: 'POST /v2/investors/', kind: 'drop_after_work' });
    const dropped = await http
      .request({ method: 'POST', path: '/v2/investors/', json: investor() })
      .catch((e: unknown) => e);
    expect(dropped).toBeInstanceOf(CashlinkNetworkError);
    expect((dropped as Error).message).toContain('may or may not have processed it');
    expect(apiRequests(emu, 'POST', '/v2/investors/')).toHaveLength(2);
  });

  it('cancels on the caller AbortSignal, and does not retry', async () => {
    emu.injectFault({ route: 'GET /v2/campaigns/', kind: 'delay', delayMs: 250 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const error = await app
      .get(CashlinkCampaignsService)
      .list({}, { signal: controller.signal, timeoutMs: 5000 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CashlinkAbortedError);
    expect(apiRequests(emu, 'GET', '/v2/campaigns/')).toHaveLength(1);
    await expect(app.get(CashlinkCampaignsService).list({}, { signal: AbortSignal.abort() })).rejects.toThrow(
      CashlinkAbortedError,
    );
  });

  it('sends no bearer token in any error it throws', async () => {
    emu.injectFault({ route: 'POST /v2/investments/', kind: 'drop_after_work' });
    const error = await app
      .get(CashlinkInvestmentsService)
      .create({ investor_id: 'x', campaign_id: EMULATOR_CAMPAIGN_ID, units: 1 }, { maxRetries: 0 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CashlinkNetworkError);
    const seen = new Set<unknown>();
    const dump = (value: unknown): string => {
      if (value === null || typeof value !== 'object' || seen.has(value)) return String(value);
      seen.add(value);
      return Object.getOwnPropertyNames(value)
        .map((k) => `${k}=${dump((value as Record<string, unknown>)[k])}`)
        .join(';');
    };
    expect(dump(error)).not.toMatch(/emu_[0-9a-f]{8}|Bearer/);
  });
});
