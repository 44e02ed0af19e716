import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import {
  CashlinkAuthService,
  CashlinkAuthenticationError,
  CashlinkCampaignsService,
  CashlinkError,
  CashlinkNetworkError,
  CashlinkServerError,
} from 'nestjs-cashlink';
import type { LoggerService } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import {
  CashlinkDocumentsService,
  CashlinkInvestorsService,
  CashlinkModule,
  type CashlinkInvestorCreate,
} from 'nestjs-cashlink';
import { exampleInvestorInput, startCashlinkEmulator, type CashlinkEmulator } from 'nestjs-cashlink/testing';
import { apiRequests, clientOptions, createClientApp } from './support/client-fixture';
import { startRewritingProxy } from './support/rewriting-proxy';

describe('OAuth client credentials against the emulator', () => {
  let emu: CashlinkEmulator;
  beforeAll(async () => {
    emu = await startCashlinkEmulator();
  });
  afterAll(async () => {
    await emu.close();
  });
  beforeEach(() => emu.reset());

  it('makes one token request for 200 concurrent first calls', async () => {
    const app = await createClientApp(emu);
    try {
      const campaigns = app.get(CashlinkCampaignsService);
      const pages = await Promise.all(Array.from({ length: 200 }, () => campaigns.list()));
      expect(pages.every((p) => p.results.length > 0)).toBe(true);
      expect(emu.tokenRequests()).toBe(1);
      expect(apiRequests(emu, 'GET', '/v2/campaigns/')).toHaveLength(200);
    } finally {
      await app.close();
    }
  });

  it('refreshes the token after a forced expiry and replays the call once', async () => {
    const app = await createClientApp(emu);
    try {
      const campaigns = app.get(CashlinkCampaignsService);
      await campaigns.list();
      expect(emu.tokenRequests()).toBe(1);
      emu.expireAllTokens();
      // Many calls hit the 401 with the same old token: still one refetch.
      await Promise.all(Array.from({ length: 20 }, () => campaigns.list()));
      expect(emu.tokenRequests()).toBe(2);
      const statuses = apiRequests(emu, 'GET', '/v2/campaigns/').map((r) => r.status);
      expect(statuses.filter((s) => s === 401)).toHaveLength(20);
      expect(statuses.filter((s) => s === 200)).toHaveLength(21);
    } finally {
      await app.close();
    }
  });

  it('fetches a new token shortly before the old one expires (skew), without a 401', async () => {
    const short = await startCashlinkEmulator({ tokenLifetimeSeconds: 1 });
    // Lifetime 1 s, skew capped at half of it: a new token after 500 ms.
    const app = await createClientApp(short, { auth: { expirySkewMs: 60_000 } });
    try {
      const campaigns = app.get(CashlinkCampaignsService);
      await campaigns.list();
      await campaigns.list();
      expect(short.tokenRequests()).toBe(1);
      await new Promise((r) => setTimeout(r, 600));
      await campaigns.list();
      expect(short.tokenRequests()).toBe(2);
      expect(apiRequests(short).every((r) => r.status === 200)).toBe(true);
    } finally {
      await app.close();
      await short.close();
    }
  });

  it('falls back to auth.defaultTokenLifetimeMs when the answer has no expires_in', async () => {
    const proxy = await startRewritingProxy(emu.origin, (body) => {
      const { expires_in: _dropped, ...rest } = body;
      return rest;
    });
    const app = await createClientApp(emu, {
      tokenUrl: `${proxy.origin}/api/external/oauth/token`,
      auth: { defaultTokenLifetimeMs: 400, expirySkewMs: 0 },
    });
    try {
      const auth = app.get(CashlinkAuthService);
      const first = await auth.getAccessToken();
      expect(await auth.getAccessToken()).toBe(first);
      await new Promise((r) => setTimeout(r, 450));
      expect(await auth.getAccessToken()).not.toBe(first);
      expect(emu.tokenRequests()).toBe(2);
    } finally {
      await app.close();
      await proxy.close();
    }
  });

  it('surfaces a 401 that survives the replay as CashlinkAuthenticationError', async () => {
    const app = await createClientApp(emu);
    try {
      emu.injectFault({ route: 'GET /v2/campaigns/', kind: 'server_error', status: 401, count: 2 });
      const error = await app
        .get(CashlinkCampaignsService)
        .list()
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CashlinkAuthenticationError);
      expect((error as CashlinkAuthenticationError).status).toBe(401);
      expect(apiRequests(emu, 'GET', '/v2/campaigns/')).toHaveLength(2);
      expect(emu.tokenRequests()).toBe(2);
    } finally {
      await app.close();
    }
  });

  it('works with HTTP Basic client authentication', async () => {
    const app = await createClientApp(emu, { tokenAuthMethod: 'basic' });
    try {
      await expect(app.get(CashlinkAuthService).getAccessToken()).resolves.toMatch(/^emu_/);
      expect(emu.tokenRequests()).toBe(1);
    } finally {
      await app.close();
    }
  });

  it('reports wrong credentials as CashlinkAuthenticationError with the cause, without the secret', async () => {
    const secret = 'wrong-secret-4c1d';
    const app = await createClientApp(emu, { clientSecret: secret });
    try {
      const error = await app
        .get(CashlinkCampaignsService)
        .list()
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CashlinkAuthenticationError);
      const auth = error as CashlinkAuthenticationError;
      expect(auth.status).toBe(401);
      expect(auth.message).toContain('invalid_client');
      expect(auth.cause).toBeInstanceOf(CashlinkError);
      expect(JSON.stringify({ m: auth.message, b: auth.body, c: String(auth.cause) })).not.toContain(secret);
      // A definitive 401 from the token endpoint is not retried, and no API call was made.
      expect(emu.tokenRequests()).toBe(1);
      expect(apiRequests(emu)).toHaveLength(0);
    } finally {
      await app.close();
    }
  });

  it('retries a token request that failed with 503, then succeeds', async () => {
    const app = await createClientApp(emu);
    try {
      emu.injectFault({ route: 'POST /oauth/token', kind: 'server_error', status: 503, count: 2 });
      await expect(app.get(CashlinkCampaignsService).list()).resolves.toMatchObject({
        count: expect.any(Number),
      });
      expect(emu.tokenRequests()).toBe(3);
    } finally {
      await app.close();
    }
  });

  it('surfaces an unreachable token endpoint with a network cause', async () => {
    const app = await createClientApp(emu, {
      tokenUrl: 'http://127.0.0.1:9/api/external/oauth/token',
      http: { maxRetries: 1 },
    });
    try {
      const error = await app
        .get(CashlinkAuthService)
        .getAccessToken()
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CashlinkAuthenticationError);
      expect((error as Error).cause).toBeInstanceOf(CashlinkNetworkError);
      expect((error as Error).cause).not.toBeInstanceOf(CashlinkServerError);
    } finally {
      await app.close();
    }
  });

  it('refuses a token answer larger than 64 KiB without reading it whole', async () => {
    let sent = 0;
    const server = createServer((req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'application/json' });
      // 8 MiB in chunks: the client must stop reading long before the end.
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      const write = (): void => {
        while (sent < 8 * 1024 * 1024) {
          sent += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', write);
        }
        res.end();
      };
      write();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const app = await createClientApp(emu, {
      tokenUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/oauth/token`,
      http: { maxRetries: 0 },
    });
    try {
      const error = await app
        .get(CashlinkAuthService)
        .getAccessToken()
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CashlinkAuthenticationError);
      expect((error as Error).message).toContain('ERR_RESPONSE_TOO_LARGE');
      expect(sent).toBeLessThan(8 * 1024 * 1024);
    } finally {
      await app.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('keeps the cached token out of inspect and JSON of the auth service', async () => {
    const app = await createClientApp(emu);
    try {
      const auth = app.get(CashlinkAuthService);
      const token = await auth.getAccessToken();
      expect(inspect(auth, { depth: 10, showHidden: true })).not.toContain(token);
      expect(JSON.stringify(auth)).not.toContain(token);
    } finally {
      await app.close();
    }
  });

  it('invalidate() forces a new token', async () => {
    const app = await createClientApp(emu);
    try {
      const auth = app.get(CashlinkAuthService);
      const first = await auth.getAccessToken();
      expect(await auth.getAccessToken()).toBe(first);
      auth.invalidate();
      expect(await auth.getAccessToken()).not.toBe(first);
      expect(emu.tokenRequests()).toBe(2);
    } finally {
      await app.close();
    }
  });

  it('never writes a token, the secret or investor data to the log, even at verbose level', async () => {
    const lines: string[] = [];
    const capture = (...args: unknown[]): void => {
      lines.push(args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' '));
    };
    const logger: LoggerService = {
      log: capture,
      error: capture,
      warn: capture,
      debug: capture,
      verbose: capture,
      fatal: capture,
    };
    const moduleRef = await Test.createTestingModule({
      imports: [CashlinkModule.forRoot({ ...clientOptions(emu), persistence: false })],
    }).compile();
    moduleRef.useLogger(logger);
    const app = await moduleRef.init();
    try {
      const auth = app.get(CashlinkAuthService);
      emu.injectFault({ route: 'POST /v2/investors/', kind: 'drop_after_work', count: 1 });
      emu.injectFault({ route: 'GET /v2/campaigns/', kind: 'server_error', status: 503, count: 1 });
      await app.get(CashlinkInvestorsService).create(exampleInvestorInput() as CashlinkInvestorCreate);
      await app.get(CashlinkCampaignsService).list();
      const token = await auth.getAccessToken();
      emu.expireAllTokens();
      await app.get(CashlinkCampaignsService).list();
      await app
        .get(CashlinkDocumentsService)
        .upload(Buffer.from('%PDF'), { filename: 'Erika Mustermann.pdf', contentType: 'application/pdf' });
      await app.get(CashlinkAuthService).getAccessToken();

      expect(lines.length).toBeGreaterThan(5);
      const log = lines.join('\n');
      expect(log).toContain('[redacted]');
      expect(log).toContain('retry');
      expect(log).not.toContain(token);
      expect(log).not.toMatch(/emu_[0-9a-f]{16}/);
      expect(log).not.toContain(emu.clientSecret);
      expect(log).not.toContain('Mustermann');
    } finally {
      await app.close();
    }
  });
});
