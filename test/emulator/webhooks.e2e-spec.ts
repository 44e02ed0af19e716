import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  EMULATOR_CAMPAIGN_ID,
  exampleInvestorInput,
  startCashlinkEmulator,
  type CashlinkEmulator,
} from 'nestjs-cashlink/testing';
import { api, createInvestor, getToken } from './emulator-test.helpers';

interface Received {
  path: string;
  authorization?: string;
  contentType?: string;
  body: unknown;
}

/**
 * A webhook receiver on loopback: records every call, answers with `answer()` (200 by default),
 * and serves a client-credentials token endpoint at /token for the oauth2 mode.
 */
class Receiver {
  readonly calls: Received[] = [];
  readonly tokenCalls: URLSearchParams[] = [];
  answer: (call: Received, index: number) => number = () => 200;
  validTokens = new Set<string>();
  tokenLifetime = 3600;
  private server!: Server;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      void this.read(req).then((raw) => {
        if (req.url === '/token') {
          const form = new URLSearchParams(raw);
          this.tokenCalls.push(form);
          if (form.get('client_id') !== 'cashlink' || form.get('client_secret') !== 'hook-secret') {
            res.writeHead(401, { 'Content-Type': 'application/json' }).end('{"error":"invalid_client"}');
            return;
          }
          const token = `t${this.tokenCalls.length}`;
          this.validTokens.add(token);
          res
            .writeHead(200, { 'Content-Type': 'application/json' })
            .end(
              JSON.stringify({ access_token: token, token_type: 'Bearer', expires_in: this.tokenLifetime }),
            );
          return;
        }
        const call: Received = {
          path: req.url ?? '',
          authorization: req.headers.authorization,
          contentType: req.headers['content-type'],
          body: JSON.parse(raw) as unknown,
        };
        this.calls.push(call);
        res.writeHead(this.answer(call, this.calls.length - 1)).end();
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  private read(req: IncomingMessage): Promise<string> {
    return new Promise((resolve) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}

describe('emulator: webhooks', () => {
  let emu: CashlinkEmulator;
  let receiver: Receiver;
  let token: string;
  let investorId: string;

  beforeAll(async () => {
    emu = await startCashlinkEmulator();
    token = await getToken(emu);
  });
  afterAll(() => emu.close());
  beforeEach(async () => {
    emu.reset();
    receiver = new Receiver();
    await receiver.start();
    investorId = await createInvestor(emu, token);
  });
  afterEach(() => receiver.close());

  const newInvestment = async (): Promise<string> => {
    const answer = await api(emu, token, 'POST', '/v2/investments/', {
      json: {
        investor_id: investorId,
        campaign_id: EMULATOR_CAMPAIGN_ID,
        units: 1,
        signed_at: '2026-03-01T12:00:00Z',
      },
    });
    return answer.body.id as string;
  };
  const bearer = (extra: object = {}) =>
    emu.configureWebhooks({
      url: `${receiver.url}/hooks/cashlink`,
      auth: { type: 'bearer', token: 'static-hook-token' },
      retryInitialDelayMs: 10,
      retryMaxDelayMs: 40,
      ...extra,
    });

  it('sends every status change as POST {investment_id, status, changed_at} with the static bearer token', async () => {
    bearer();
    const id = await newInvestment();
    emu.advanceInvestment(id);
    emu.advanceInvestment(id);
    await emu.webhooksIdle();
    expect(receiver.calls).toHaveLength(2);
    expect(receiver.calls.map((c) => (c.body as { status: string }).status).sort()).toEqual(
      ['REVIEW_PENDING', 'WAITING_FOR_ACCEPTANCE'].sort(),
    );
    for (const call of receiver.calls) {
      expect(call).toEqual({
        path: '/hooks/cashlink',
        authorization: 'Bearer static-hook-token',
        contentType: 'application/json',
        body: {
          investment_id: id,
          status: expect.any(String),
          changed_at: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
        },
      });
    }
    expect(emu.webhookDeliveries()).toHaveLength(2);
    expect(JSON.stringify(emu.webhookDeliveries())).not.toContain('static-hook-token');
  });

  it('sends nothing when no webhook target is configured', async () => {
    const id = await newInvestment();
    emu.advanceInvestment(id);
    await emu.webhooksIdle();
    expect(receiver.calls).toEqual([]);
    expect(emu.webhookDeliveries()).toEqual([]);
  });

  it('retries with backoff until the receiver answers 2xx, and records every attempt', async () => {
    bearer();
    receiver.answer = (_call, index) => (index < 3 ? [500, 503, 401][index]! : 204);
    const id = await newInvestment();
    emu.setInvestmentStatus(id, 'CANCELED', { cancellationReason: 'TEST' });
    await emu.webhooksIdle();
    expect(receiver.calls).toHaveLength(4);
    const attempts = emu.webhookDeliveries();
    expect(attempts.map((a) => [a.attempt, a.responseStatus])).toEqual([
      [1, 500],
      [2, 503],
      [3, 401],
      [4, 204],
    ]);
    expect(new Set(attempts.map((a) => a.deliveryId)).size).toBe(1);
    expect(attempts.every((a) => (a.payload as { status: string }).status === 'CANCELED')).toBe(true);
    // Backoff: 10, 20, 40 ms between attempts (the gaps only grow).
    const gaps = attempts.slice(1).map((a, i) => a.startedAt - attempts[i]!.endedAt);
    expect(gaps[0]).toBeGreaterThanOrEqual(9);
    expect(gaps[2]).toBeGreaterThanOrEqual(35);
  });

  it('keeps retrying while the receiver is down and delivers once it is back', async () => {
    const url = receiver.url;
    await receiver.close();
    bearer({ url: `${url}/hooks` });
    const id = await newInvestment();
    emu.advanceInvestment(id);
    while (emu.webhookDeliveries().filter((d) => d.error).length < 2)
      await new Promise((r) => setTimeout(r, 10));
    // The receiver comes back on the same port.
    const revivedCalls: string[] = [];
    const revived = createServer((req, res) => {
      revivedCalls.push(req.url ?? '');
      req.resume();
      req.on('end', () => res.writeHead(200).end());
    });
    await new Promise<void>((resolve) => revived.listen(Number(new URL(url).port), '127.0.0.1', resolve));
    receiver = {
      close: () =>
        new Promise<void>((resolve) => {
          revived.close(() => resolve());
          revived.closeAllConnections();
        }),
    } as Receiver;
    await emu.webhooksIdle();
    expect(revivedCalls).toEqual(['/hooks']);
    const deliveries = emu.webhookDeliveries();
    expect(deliveries.at(-1)).toMatchObject({ responseStatus: 200 });
    expect(
      deliveries.slice(0, -1).every((d) => d.error !== undefined && d.responseStatus === undefined),
    ).toBe(true);
  });

  it('oauth2: fetches a token from the receiver first, reuses it, and fetches a new one after a 401', async () => {
    emu.configureWebhooks({
      url: `${receiver.url}/hooks`,
      auth: {
        type: 'oauth2',
        tokenUrl: `${receiver.url}/token`,
        clientId: 'cashlink',
        clientSecret: 'hook-secret',
        scope: 'webhooks',
      },
      retryInitialDelayMs: 10,
      retryMaxDelayMs: 40,
    });
    receiver.answer = (call) => (receiver.validTokens.has(call.authorization?.slice(7) ?? '') ? 200 : 401);
    const id = await newInvestment();
    emu.advanceInvestment(id);
    await emu.webhooksIdle();
    emu.advanceInvestment(id);
    await emu.webhooksIdle();
    expect(receiver.tokenCalls).toHaveLength(1);
    expect(Object.fromEntries(receiver.tokenCalls[0]!)).toEqual({
      grant_type: 'client_credentials',
      client_id: 'cashlink',
      client_secret: 'hook-secret',
      scope: 'webhooks',
    });
    expect(receiver.calls.map((c) => c.authorization)).toEqual(['Bearer t1', 'Bearer t1']);
    // The receiver revokes its tokens: the next call gets 401, the emulator fetches a new token.
    receiver.validTokens.clear();
    emu.advanceInvestment(id);
    await emu.webhooksIdle();
    expect(receiver.tokenCalls).toHaveLength(2);
    expect(receiver.calls.map((c) => c.authorization)).toEqual([
      'Bearer t1',
      'Bearer t1',
      'Bearer t1',
      'Bearer t2',
    ]);
    expect(emu.webhookDeliveries().map((d) => [d.responseStatus, d.tokenFetched])).toEqual([
      [200, true],
      [200, false],
      [401, false],
      [200, true],
    ]);
    expect(JSON.stringify(emu.webhookDeliveries())).not.toMatch(/hook-secret|t1|t2"/);
  });

  it('oauth2: retries when the token endpoint refuses, without calling the webhook URL', async () => {
    emu.configureWebhooks({
      url: `${receiver.url}/hooks`,
      auth: {
        type: 'oauth2',
        tokenUrl: `${receiver.url}/token`,
        clientId: 'cashlink',
        clientSecret: 'wrong',
      },
      retryInitialDelayMs: 10,
      retryMaxDelayMs: 20,
    });
    const id = await newInvestment();
    emu.advanceInvestment(id);
    while (receiver.tokenCalls.length < 3) await new Promise((r) => setTimeout(r, 10));
    expect(receiver.calls).toEqual([]);
    expect(emu.webhookDeliveries()[0]!.error).toMatch(/401/);
    emu.configureWebhooks(null);
    await emu.webhooksIdle();
  });

  it('duplicateWebhooks(n) delivers the next n changes twice', async () => {
    bearer();
    const id = await newInvestment();
    emu.duplicateWebhooks(1);
    emu.advanceInvestment(id);
    emu.advanceInvestment(id);
    await emu.webhooksIdle();
    const statuses = receiver.calls.map((c) => (c.body as { status: string }).status).sort();
    expect(statuses).toEqual(['REVIEW_PENDING', 'REVIEW_PENDING', 'WAITING_FOR_ACCEPTANCE']);
    const [a, b] = receiver.calls.filter((c) => (c.body as { status: string }).status === 'REVIEW_PENDING');
    expect(a!.body).toEqual(b!.body);
  });

  it('holds changes back and releases them in reverse order', async () => {
    bearer();
    const id = await newInvestment();
    emu.holdWebhooks();
    emu.advanceInvestment(id);
    emu.advanceInvestment(id);
    emu.advanceInvestment(id);
    await emu.webhooksIdle();
    expect(receiver.calls).toEqual([]);
    await emu.releaseWebhooks('reverse');
    expect(receiver.calls.map((c) => (c.body as { status: string }).status)).toEqual([
      'ACCEPTED',
      'WAITING_FOR_ACCEPTANCE',
      'REVIEW_PENDING',
    ]);
    // Not holding any more: the next change goes out directly.
    emu.advanceInvestment(id);
    await emu.webhooksIdle();
    expect(receiver.calls).toHaveLength(4);
  });

  it('releases held changes in fifo order and as a shuffle of the same changes', async () => {
    bearer();
    const ids = [await newInvestment(), await newInvestment(), await newInvestment(), await newInvestment()];
    emu.holdWebhooks();
    for (const id of ids) emu.advanceInvestment(id);
    await emu.releaseWebhooks('fifo');
    expect(receiver.calls.map((c) => (c.body as { investment_id: string }).investment_id)).toEqual(ids);
    receiver.calls.length = 0;
    emu.holdWebhooks();
    for (const id of ids) emu.advanceInvestment(id);
    await emu.releaseWebhooks('shuffle');
    expect(receiver.calls.map((c) => (c.body as { investment_id: string }).investment_id).sort()).toEqual(
      [...ids].sort(),
    );
  });

  it('delivers concurrently: a slow receiver does not hold back other changes', async () => {
    bearer();
    const first = await newInvestment();
    const second = await newInvestment();
    receiver.answer = (call) =>
      (call.body as { investment_id: string }).investment_id === first ? 500 : 200;
    emu.advanceInvestment(first);
    emu.advanceInvestment(second);
    while (!receiver.calls.some((c) => (c.body as { investment_id: string }).investment_id === second)) {
      await new Promise((r) => setTimeout(r, 10));
    }
    receiver.answer = () => 200;
    await emu.webhooksIdle();
    expect(emu.webhookDeliveries().filter((d) => d.responseStatus === 200)).toHaveLength(2);
  });

  it('webhooksIdle rejects after its timeout while a delivery keeps failing', async () => {
    bearer();
    receiver.answer = () => 500;
    emu.advanceInvestment(await newInvestment());
    await expect(emu.webhooksIdle(100)).rejects.toThrow(/still pending/);
    emu.configureWebhooks(null);
    await emu.webhooksIdle();
  });

  it('rejects an invalid configuration with a readable message', () => {
    expect(() => emu.configureWebhooks({ url: 'not a url', auth: { type: 'bearer', token: '' } })).toThrow(
      /url must be an http\(s\) URL; auth.token must be a non-empty string/,
    );
    expect(() => emu.configureWebhooks({ url: receiver.url, auth: { type: 'magic' } as never })).toThrow(
      /auth.type/,
    );
  });

  it('reset() and close() stop a delivery that keeps failing, so nothing stays pending', async () => {
    bearer();
    receiver.answer = () => 500;
    emu.advanceInvestment(await newInvestment());
    while (emu.webhookDeliveries().length < 2) await new Promise((r) => setTimeout(r, 5));
    emu.reset();
    await emu.webhooksIdle(1000);
    expect(emu.webhookDeliveries()).toEqual([]);

    const other = await startCashlinkEmulator();
    const t = await getToken(other);
    other.configureWebhooks({
      url: `${receiver.url}/h`,
      auth: { type: 'bearer', token: 'x' },
      retryInitialDelayMs: 5,
    });
    const inv = await api(other, t, 'POST', '/v2/investors/', { json: exampleInvestorInput() });
    const created = await api(other, t, 'POST', '/v2/investments/', {
      json: {
        investor_id: inv.body.id,
        campaign_id: EMULATOR_CAMPAIGN_ID,
        units: 1,
        signed_at: '2026-03-01T12:00:00Z',
      },
    });
    other.advanceInvestment(created.body.id);
    while (other.webhookDeliveries().length < 2) await new Promise((r) => setTimeout(r, 5));
    await other.close();
    await other.webhooksIdle(1000);
  });
});
