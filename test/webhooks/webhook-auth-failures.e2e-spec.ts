// Failed webhook authentications: one aggregated warn line (no flood), and a per-client block at the
// token endpoint after repeated wrong secrets (429 + Retry-After), on a real app over HTTP.
import type { LoggerService } from '@nestjs/common';
import { createTestDatabase, type TestDatabase } from '../support/databases';
import { startWebhooksTestApp, type WebhooksTestApp } from './fixtures/webhooks-test-app';

jest.setTimeout(60_000);

const CLIENT_ID = 'cashlink-webhooks';
const CLIENT_SECRET = 's'.repeat(40);

describe.each(['express', 'fastify'] as const)('webhook authentication failures on %s', (platform) => {
  let db: TestDatabase;
  let app: WebhooksTestApp;
  const lines: { level: string; text: string }[] = [];

  beforeAll(async () => {
    db = await createTestDatabase('sqlite');
    app = await startWebhooksTestApp({
      platform,
      db: db.options,
      webhooks: {
        auth: {
          type: 'oauth2',
          clientId: CLIENT_ID,
          clientSecret: CLIENT_SECRET,
          throttle: { maxFailures: 5, blockMs: 2_000 },
        },
      },
    });
    const capture =
      (level: string) =>
      (...args: unknown[]): void =>
        void lines.push({ level, text: args.map(String).join(' ') });
    const logger: LoggerService = {
      log: capture('log'),
      warn: capture('warn'),
      error: capture('error'),
      debug: capture('debug'),
      verbose: capture('verbose'),
    };
    app.app.useLogger(logger);
  });
  afterAll(async () => {
    await app?.close();
    await db?.drop();
  });

  const token = (secret: string) =>
    fetch(`${app.origin}/cashlink/webhooks/oauth/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: CLIENT_ID,
        client_secret: secret,
      }),
    });

  it('blocks a client after repeated wrong secrets (429 + Retry-After, even for the right one), then lets it in', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await token(`wrong-${i}`.padEnd(40, 'x'))).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401]);
    const blocked = await token(CLIENT_SECRET);
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await blocked.json()).toEqual({ error: 'too_many_requests' });
    // 200 more attempts while blocked: all refused without comparing a secret.
    const flood = await Promise.all(Array.from({ length: 200 }, (_, i) => token(`guess-${i}`)));
    expect(flood.every((r) => r.status === 429)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    expect((await token(CLIENT_SECRET)).status).toBe(200);
  });

  it('logs failures at warn, aggregated, never the secret', async () => {
    const before = lines.filter((l) => l.level === 'warn').length;
    for (let i = 0; i < 50; i++) {
      await fetch(`${app.origin}/cashlink/webhooks`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer wrong-${i}` },
        body: '{}',
      });
    }
    const warns = lines.filter((l) => l.level === 'warn');
    // The first test's failures were summed into at most two lines; 50 more add at most one line now
    // (the rest wait for the next interval's summary).
    expect(warns.length - before).toBeLessThanOrEqual(1);
    expect(warns.length).toBeGreaterThanOrEqual(1);
    const all = lines.map((l) => l.text).join('\n');
    expect(all).toMatch(/Webhook authentication failed \d+ time\(s\)/);
    expect(all).toContain('token endpoint: invalid_client');
    expect(all).not.toContain('wrong-');
    expect(all).not.toContain(CLIENT_SECRET);
  });
});
