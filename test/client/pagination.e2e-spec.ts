import type { INestApplicationContext } from '@nestjs/common';
import { CashlinkInvestmentsService, CashlinkUnsafeUrlError, type CashlinkInvestment } from 'nestjs-cashlink';
import { startCashlinkEmulator, type CashlinkEmulator } from 'nestjs-cashlink/testing';
import { apiRequests, createClientApp } from './support/client-fixture';
import { startRewritingProxy, startTrapServer } from './support/rewriting-proxy';

describe('pagination', () => {
  let emu: CashlinkEmulator;
  let app: INestApplicationContext;
  let seeded: string[];
  beforeAll(async () => {
    emu = await startCashlinkEmulator();
    app = await createClientApp(emu);
  });
  afterAll(async () => {
    await app.close();
    await emu.close();
  });
  beforeEach(() => {
    emu.reset();
    seeded = emu.seedInvestments(25);
  });

  it('list() returns one page with count, next and previous', async () => {
    const investments = app.get(CashlinkInvestmentsService);
    const first = await investments.list({ page_size: 10 });
    expect(first.count).toBe(25);
    expect(first.results.map((i) => i.id)).toEqual(seeded.slice(0, 10));
    expect(first.previous).toBeNull();
    expect(first.next).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\/external\/distributor\/v2\/investments\/\?/);
    const third = await investments.list({ page: 3, page_size: 10 });
    expect(third.results.map((i) => i.id)).toEqual(seeded.slice(20));
    expect(third.next).toBeNull();
    expect(third.previous).not.toBeNull();
  });

  it('all() walks every page in order, one request per page', async () => {
    const ids: string[] = [];
    for await (const investment of app.get(CashlinkInvestmentsService).all({ page_size: 10 }))
      ids.push(investment.id);
    expect(ids).toEqual(seeded);
    const pages = apiRequests(emu, 'GET', '/v2/investments/');
    expect(pages).toHaveLength(3);
  });

  it('all() stops fetching when the loop breaks', async () => {
    const ids: string[] = [];
    for await (const investment of app.get(CashlinkInvestmentsService).all({ page_size: 10 })) {
      ids.push(investment.id);
      if (ids.length === 12) break;
    }
    expect(ids).toEqual(seeded.slice(0, 12));
    expect(apiRequests(emu, 'GET', '/v2/investments/')).toHaveLength(2);
    await new Promise((r) => setTimeout(r, 50));
    expect(apiRequests(emu, 'GET', '/v2/investments/')).toHaveLength(2);
  });

  it('refuses a next link to a foreign origin and never sends the token there', async () => {
    const trap = await startTrapServer();
    // A Cashlink answer whose `next` points elsewhere (a compromised or misconfigured upstream).
    const proxy = await startRewritingProxy(emu.origin, (body) =>
      typeof body.next === 'string' ? { ...body, next: body.next.replace(emu.origin, trap.origin) } : body,
    );
    const viaProxy = await createClientApp(emu, { baseUrl: `${proxy.origin}/api/external/distributor` });
    try {
      const seen: CashlinkInvestment[] = [];
      const walk = async (): Promise<void> => {
        for await (const investment of viaProxy.get(CashlinkInvestmentsService).all({ page_size: 10 })) {
          seen.push(investment);
        }
      };
      const error = await walk().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CashlinkUnsafeUrlError);
      expect((error as CashlinkUnsafeUrlError).refusedOrigin).toBe(trap.origin);
      expect((error as Error).message).toContain(proxy.origin);
      expect(seen).toHaveLength(10);
      expect(trap.received).toHaveLength(0);
    } finally {
      await viaProxy.close();
      await proxy.close();
      await trap.close();
    }
  });

  it('refuses a next link on the right origin but outside the API base', async () => {
    let proxyOrigin = '';
    const proxy = await startRewritingProxy(emu.origin, (body) =>
      typeof body.next === 'string'
        ? { ...body, next: `${proxyOrigin}/api/external/oauth/token?page=2` }
        : body,
    );
    proxyOrigin = proxy.origin;
    const viaProxy = await createClientApp(emu, { baseUrl: `${proxy.origin}/api/external/distributor` });
    try {
      const iterator = viaProxy.get(CashlinkInvestmentsService).all({ page_size: 10 });
      for (let i = 0; i < 10; i++) await iterator.next();
      const error = await iterator.next().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CashlinkUnsafeUrlError);
      // Same origin as the API, refused for the path alone.
      expect((error as CashlinkUnsafeUrlError).refusedOrigin).toBe(proxy.origin);
    } finally {
      await viaProxy.close();
      await proxy.close();
    }
  });
});
