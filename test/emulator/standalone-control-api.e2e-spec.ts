import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { EMULATOR_CAMPAIGN_ID, exampleInvestorInput } from 'nestjs-cashlink/testing';

const root = join(__dirname, '..', '..');

interface Standalone {
  child: ChildProcess;
  output: string;
  origin: string;
  baseUrl: string;
  tokenUrl: string;
}

/** Starts `npm run emulator`'s entry point as a real child process and reads what it prints. */
async function startStandalone(env: Record<string, string>): Promise<Standalone> {
  const child = spawn(
    process.execPath,
    ['-r', '@swc-node/register', 'libs/cashlink/src/testing/emulator/main.ts'],
    {
      cwd: root,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  await new Promise<void>((resolve, reject) => {
    const check = setInterval(() => {
      if (output.includes('Control API:')) {
        clearInterval(check);
        resolve();
      }
    }, 20);
    child.once('exit', (code) => {
      clearInterval(check);
      reject(new Error(`emulator exited with ${code}: ${output}`));
    });
  });
  const baseUrl = /API base:\s+(\S+)/.exec(output)![1]!;
  return {
    child,
    output,
    baseUrl,
    origin: new URL(baseUrl).origin,
    tokenUrl: /Token URL:\s+(\S+)/.exec(output)![1]!,
  };
}

function stop(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve(child.exitCode);
    child.once('exit', (code) => resolve(code));
    child.kill('SIGTERM');
  });
}

describe('emulator: standalone process and the HTTP control API', () => {
  let emu: Standalone;

  beforeAll(async () => {
    emu = await startStandalone({
      EMULATOR_PORT: '0',
      EMULATOR_CLIENT_ID: 'ci-client',
      EMULATOR_CLIENT_SECRET: 'ci-secret',
    });
  }, 30_000);
  afterAll(async () => {
    expect(await stop(emu.child)).toBe(0);
  });

  const control = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${emu.origin}/__emulator${path}`, {
      method,
      headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as any }; // eslint-disable-line @typescript-eslint/no-explicit-any
  };
  const token = async (): Promise<string> => {
    const response = await fetch(emu.tokenUrl, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: 'ci-client',
        client_secret: 'ci-secret',
      }),
    });
    expect(response.status).toBe(200);
    return ((await response.json()) as { access_token: string }).access_token;
  };
  const call = async (t: string, method: string, path: string, json?: unknown, key?: string) => {
    const response = await fetch(`${emu.baseUrl}${path}`, {
      method,
      headers: {
        Authorization: `Bearer ${t}`,
        ...(json === undefined ? {} : { 'Content-Type': 'application/json' }),
        ...(key ? { 'X-Idempotency-Key': key } : {}),
      },
      body: json === undefined ? undefined : JSON.stringify(json),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  };

  it('prints its URLs and the credentials it took from the environment', () => {
    expect(emu.baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\/external\/distributor$/);
    expect(emu.tokenUrl).toBe(`${emu.origin}/api/external/oauth/token`);
    expect(emu.output).toContain('ci-client');
    expect(emu.output).not.toContain('(default;');
  });

  it('prints the default credentials and port 4010 when nothing is set', async () => {
    const defaults = await startStandalone({
      EMULATOR_PORT: '',
      EMULATOR_CLIENT_ID: '',
      EMULATOR_CLIENT_SECRET: '',
    }).catch((error: Error) => error);
    if (defaults instanceof Error) {
      // Port 4010 is taken on this machine (e.g. a developer's emulator): the message must say so.
      expect(defaults.message).toMatch(/EADDRINUSE|4010/);
      return;
    }
    try {
      expect(defaults.baseUrl).toBe('http://127.0.0.1:4010/api/external/distributor');
      expect(defaults.output).toContain('emulator-client (default; set EMULATOR_CLIENT_ID)');
      expect(defaults.output).toContain('emulator-secret (default; set EMULATOR_CLIENT_SECRET)');
    } finally {
      expect(await stop(defaults.child)).toBe(0);
    }
  }, 30_000);

  it('exposes state, logs and idempotency effects; resets', async () => {
    expect((await control('POST', '/reset')).status).toBe(200);
    const t = await token();
    const investor = await call(t, 'POST', '/v2/investors/', exampleInvestorInput(), 'inv-1');
    expect(investor.status).toBe(201);
    expect((await call(t, 'POST', '/v2/investors/', exampleInvestorInput(), 'inv-1')).body).toEqual(
      investor.body,
    );
    expect((await control('GET', '/investors')).body).toEqual([investor.body]);
    expect((await control('GET', '/effects')).body).toEqual({ 'inv-1': 1 });
    expect((await control('GET', '/token-requests')).body).toEqual({ count: 1 });
    const log = (await control('GET', '/requests')).body as { path: string; status: number }[];
    expect(log.map((r) => [r.path, r.status])).toEqual([
      ['/oauth/token', 200],
      ['/v2/investors/', 201],
      ['/v2/investors/', 201],
    ]);
    expect(JSON.stringify(log)).not.toMatch(/ci-secret|Mustermann/);
    expect((await control('GET', '/campaigns')).body).toHaveLength(3);
    expect((await control('POST', '/reset')).status).toBe(200);
    expect((await control('GET', '/investors')).body).toEqual([]);
  });

  it('injects and clears faults, expires tokens, seeds investments', async () => {
    await control('POST', '/reset');
    const t = await token();
    const fault = await control('POST', '/faults', {
      route: 'GET /v2/investments/',
      kind: 'server_error',
      status: 500,
    });
    expect(fault).toEqual({ status: 201, body: { id: expect.any(String) } });
    expect((await call(t, 'GET', '/v2/investments/')).status).toBe(500);
    await control('DELETE', `/faults/${fault.body.id}`);
    expect((await call(t, 'GET', '/v2/investments/')).status).toBe(200);
    await control('POST', '/faults', { kind: 'rate_limit' });
    expect((await call(t, 'GET', '/v2/products/')).status).toBe(429);
    await control('DELETE', '/faults');
    expect((await control('POST', '/faults', { kind: 'nope' })).status).toBe(400);

    expect(await control('POST', '/seed/investments', { count: 25 })).toMatchObject({
      status: 201,
      body: { count: 25 },
    });
    expect((await call(t, 'GET', '/v2/investments/')).body.count).toBe(25);

    await control('POST', '/tokens/expire');
    expect((await call(t, 'GET', '/v2/investments/')).status).toBe(401);
  });

  it('changes investment status and delivers webhooks, with hold/release and duplicates', async () => {
    await control('POST', '/reset');
    const received: { status: string; auth?: string }[] = [];
    const receiver: Server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({ ...JSON.parse(Buffer.concat(chunks).toString()), auth: req.headers.authorization });
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
      expect((await control('PUT', '/webhooks', { url, auth: { type: 'bearer', token: 'wh' } })).status).toBe(
        200,
      );
      const t = await token();
      const investor = await call(t, 'POST', '/v2/investors/', exampleInvestorInput());
      const investment = await call(t, 'POST', '/v2/investments/', {
        investor_id: investor.body.id,
        campaign_id: EMULATOR_CAMPAIGN_ID,
        units: 2,
        signed_at: '2026-01-01T00:00:00Z',
      });
      const id = investment.body.id as string;
      expect((await control('POST', `/investments/${id}/advance`)).body.status).toBe('REVIEW_PENDING');
      await control('POST', '/webhooks/duplicate', { count: 1 });
      await control('POST', `/investments/${id}/status`, { status: 'ACCEPTED' });
      expect((await control('GET', '/webhooks/idle?timeoutMs=5000')).body).toEqual({ idle: true });
      await control('POST', '/webhooks/hold');
      await control('POST', `/investments/${id}/status`, { status: 'PAID' });
      await control('POST', `/investments/${id}/advance`);
      await control('POST', '/webhooks/release', { order: 'reverse' });
      // Released deliveries are sequential; wait until both arrived.
      for (let i = 0; i < 200 && received.length < 5; i += 1) await new Promise((r) => setTimeout(r, 10));
      expect((await control('GET', '/webhooks/idle?timeoutMs=5000')).body).toEqual({ idle: true });
      // Deliveries run concurrently, so the first three may arrive in any order; the held two arrive reversed.
      const statuses = received.map((r) => r.status);
      expect(statuses.slice(0, 3).sort()).toEqual(['ACCEPTED', 'ACCEPTED', 'REVIEW_PENDING']);
      expect(statuses.slice(3)).toEqual(['DELIVERED', 'PAID']);
      expect(received.every((r) => r.auth === 'Bearer wh')).toBe(true);
      expect((await control('GET', '/webhooks/deliveries')).body).toHaveLength(5);
      const bad = await control('POST', `/investments/${id}/status`, { status: 'CANCELED' });
      expect(bad).toEqual({ status: 400, body: { detail: expect.stringContaining('final') } });
      expect((await control('GET', '/nothing')).status).toBe(404);
    } finally {
      await control('DELETE', '/webhooks');
      await new Promise<void>((resolve) => {
        receiver.close(() => resolve());
        receiver.closeAllConnections();
      });
    }
  });
});
