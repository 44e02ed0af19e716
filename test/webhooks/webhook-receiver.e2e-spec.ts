import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { NestFactory } from '@nestjs/core';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { TypeOrmModule } from '@nestjs/typeorm';
import { CashlinkModule } from 'nestjs-cashlink';
import { testEncryptionKeys } from 'nestjs-cashlink/testing';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { OAuth2WebhookTokenIssuer } from '../../libs/cashlink/src/webhooks/auth/oauth2-webhook-token.issuer';
import { WebhookInboxEntity } from '../../libs/cashlink/src/webhooks/webhook-inbox.entity';
import { createTestDatabase, describeEachDatabase, type TestDatabase } from '../support/databases';
import { startWebhooksTestApp, type WebhooksTestApp } from './fixtures/webhooks-test-app';
import { waitFor } from './support';

// Real processes, databases and HTTP on a shared CI machine: generous limits, never timed assertions.
jest.setTimeout(60_000);

const BEARER = 'b'.repeat(40);
const ROTATED = 'r'.repeat(40);
const CLIENT_ID = 'cashlink-webhooks';
const CLIENT_SECRET = 's'.repeat(40);
const PATH = 'hooks/cashlink';
const PLATFORMS = ['express', 'fastify'] as const;

function change(overrides: Record<string, unknown> = {}) {
  return {
    investment_id: randomUUID(),
    status: 'ACCEPTED',
    changed_at: new Date().toISOString(),
    ...overrides,
  };
}

async function post(url: string, body: string, headers: Record<string, string> = {}) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body,
  });
  await response.arrayBuffer();
  return response;
}

async function inboxRows(app: WebhooksTestApp): Promise<WebhookInboxEntity[]> {
  return app.dataSource.getRepository(WebhookInboxEntity).find();
}

describeEachDatabase('webhook receiver', (kind) => {
  describe.each(PLATFORMS)('on %s', (platform) => {
    describe('bearer', () => {
      let db: TestDatabase;
      let app: WebhooksTestApp;
      let url: string;

      beforeAll(async () => {
        db = await createTestDatabase(kind);
        app = await startWebhooksTestApp({
          platform,
          db: db.options,
          webhooks: {
            path: PATH,
            auth: { type: 'bearer', tokens: [BEARER, ROTATED] },
            maxBodyBytes: 1024,
            dispatch: { intervalMs: 50, maxAttempts: 4, backoff: { initialDelayMs: 20, maxDelayMs: 50 } },
          },
        });
        url = `${app.origin}/${PATH}`;
      });
      afterAll(async () => {
        await app?.close();
        await db?.drop();
      });

      it('refuses a missing or wrong token with 401 and a challenge, storing nothing', async () => {
        const missing = await post(url, JSON.stringify(change()));
        expect(missing.status).toBe(401);
        expect(missing.headers.get('www-authenticate')).toBe('Bearer realm="cashlink-webhooks"');

        const wrong = await post(url, JSON.stringify(change()), {
          Authorization: `Bearer ${'x'.repeat(40)}`,
        });
        expect(wrong.status).toBe(401);
        expect(wrong.headers.get('www-authenticate')).toContain('error="invalid_token"');

        const basic = await post(url, JSON.stringify(change()), {
          Authorization: `Basic ${Buffer.from('a:b').toString('base64')}`,
        });
        expect(basic.status).toBe(401);

        // Not JSON and too large, yet unauthenticated: still 401 (read as text, so our reader runs after auth).
        const junk = await post(url, 'x'.repeat(5000), { 'Content-Type': 'text/plain' });
        expect(junk.status).toBe(401);
        expect(await inboxRows(app)).toEqual([]);
      });

      it('accepts every configured token (rotation)', async () => {
        for (const token of [BEARER, ROTATED]) {
          const res = await post(url, JSON.stringify(change()), { Authorization: `Bearer ${token}` });
          expect(res.status).toBe(200);
        }
      });

      it('answers 413 for an oversized body and 400 for malformed JSON, storing nothing', async () => {
        const before = (await inboxRows(app)).length;
        const auth = { Authorization: `Bearer ${BEARER}` };
        const big = await post(url, JSON.stringify(change({ padding: 'p'.repeat(2000) })), auth);
        expect(big.status).toBe(413);
        const malformed = await post(url, '{"investment_id": ', auth);
        expect(malformed.status).toBe(400);
        const malformedText = await post(url, '{"investment_id": ', {
          ...auth,
          'Content-Type': 'text/plain',
        });
        expect(malformedText.status).toBe(400);
        expect((await inboxRows(app)).length).toBe(before);
      });

      it('quarantines an authenticated body that is not a valid change, answers 2xx and announces it', async () => {
        const body = JSON.stringify({
          investment_id: randomUUID(),
          status: 'accepted!',
          changed_at: 'yesterday',
        });
        const res = await post(url, body, { Authorization: `Bearer ${BEARER}` });
        expect(res.status).toBe(200);
        await waitFor(() => app.recorder.quarantined.length === 1, 5000, 'quarantine event');
        const id = app.recorder.quarantined[0]!.inboxId;
        const row = await app.webhooks.find(id);
        expect(row).toMatchObject({ state: 'quarantined', rawBody: body });
        expect(app.recorder.quarantined[0]!.reason).not.toContain('yesterday');
        // Quarantined rows are never dispatched.
        expect(app.recorder.changes.some((c) => c.inboxId === id)).toBe(false);
      });

      it('answers 200 with what it did: stored, duplicate, quarantined (JSON, not cached)', async () => {
        const receipt = async (body: string) => {
          const res = await fetch(url, {
            method: 'POST',
            headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${BEARER}` },
            body,
          });
          expect(res.status).toBe(200);
          expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
          expect(res.headers.get('cache-control')).toBe('no-store');
          return res.json() as Promise<unknown>;
        };
        const body = JSON.stringify(change());
        expect(await receipt(body)).toEqual({ received: true, outcome: 'stored' });
        expect(await receipt(body)).toEqual({ received: true, outcome: 'duplicate' });
        expect(await receipt(JSON.stringify({ investment_id: 'x y' }))).toEqual({
          received: true,
          outcome: 'quarantined',
        });
      });

      it('stores ten concurrent copies of one delivery once and dispatches it once', async () => {
        const body = JSON.stringify(change({ status: 'REVIEW_PENDING' }));
        const investmentId = (JSON.parse(body) as { investment_id: string }).investment_id;
        const answers = await Promise.all(
          Array.from({ length: 10 }, () => post(url, body, { Authorization: `Bearer ${BEARER}` })),
        );
        expect(answers.map((a) => a.status)).toEqual(Array(10).fill(200));
        await waitFor(
          () => app.recorder.changes.some((c) => c.investmentId === investmentId),
          5000,
          'dispatch',
        );
        await app.webhooks.dispatchDue();
        expect(app.recorder.changes.filter((c) => c.investmentId === investmentId)).toHaveLength(1);
        expect(app.recorder.perStatus.filter((p) => p.event.investmentId === investmentId)).toEqual([
          {
            name: 'cashlink.investment.review_pending',
            event: expect.objectContaining({ status: 'REVIEW_PENDING' }),
          },
        ]);
        expect(await app.webhooks.list({ investmentId })).toEqual([
          expect.objectContaining({ state: 'processed' }),
        ]);
      });

      it('retries a listener that fails twice, then marks the row processed', async () => {
        const c = change();
        app.recorder.failures.set(c.investment_id, 2);
        const callsBefore = app.recorder.calls;
        expect((await post(url, JSON.stringify(c), { Authorization: `Bearer ${BEARER}` })).status).toBe(200);
        await waitFor(
          async () => (await app.webhooks.list({ investmentId: c.investment_id }))[0]?.state === 'processed',
          10000,
          'processed',
        );
        expect(app.recorder.calls - callsBefore).toBe(3);
        const [row] = await app.webhooks.list({ investmentId: c.investment_id });
        expect(row).toMatchObject({ attempts: 3, lastError: null });
        expect(app.recorder.changes.filter((e) => e.investmentId === c.investment_id)).toEqual([
          expect.objectContaining({ attempt: 3 }),
        ]);
      });

      it('marks a row dead after the configured attempts, announces it, and re-dispatches it on request', async () => {
        const c = change();
        app.recorder.failures.set(c.investment_id, 'always');
        expect((await post(url, JSON.stringify(c), { Authorization: `Bearer ${BEARER}` })).status).toBe(200);
        await waitFor(
          () => app.recorder.dead.some((d) => d.investmentId === c.investment_id),
          10000,
          'dead event',
        );
        const [row] = await app.webhooks.list({ investmentId: c.investment_id });
        expect(row).toMatchObject({
          state: 'dead',
          attempts: 4,
          lastError: 'Error: listener failure (always)',
        });
        expect(await app.webhooks.list({ state: 'dead' })).toEqual([
          expect.objectContaining({ id: row!.id }),
        ]);
        expect(await app.webhooks.count({ state: 'dead' })).toBe(1);

        app.recorder.failures.delete(c.investment_id);
        expect(await app.webhooks.redispatch({ state: 'dead' })).toBe(1);
        await waitFor(
          async () => (await app.webhooks.find(row!.id))?.state === 'processed',
          10000,
          'redispatched',
        );
        expect(app.recorder.changes.filter((e) => e.investmentId === c.investment_id)).toHaveLength(1);
        // Nothing here is past the default retention (30 days): a purge deletes nothing.
        expect(await app.webhooks.purge()).toBe(0);
        expect(await app.webhooks.find(row!.id)).toMatchObject({ state: 'processed' });
      });
    });

    describe('oauth2', () => {
      let db: TestDatabase;
      let app: WebhooksTestApp;
      let url: string;
      let tokenUrl: string;

      beforeAll(async () => {
        db = await createTestDatabase(kind);
        app = await startWebhooksTestApp({
          platform,
          db: db.options,
          webhooks: {
            auth: { type: 'oauth2', clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, tokenTtlSeconds: 60 },
          },
        });
        url = `${app.origin}/cashlink/webhooks`;
        tokenUrl = `${app.origin}/cashlink/webhooks/oauth/token`;
      });
      afterAll(async () => {
        await app?.close();
        await db?.drop();
      });

      const form = (fields: Record<string, string>, headers: Record<string, string> = {}) =>
        fetch(tokenUrl, {
          method: 'POST',
          headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
          body: new URLSearchParams(fields).toString(),
        });

      it('issues a token for the configured client credentials (form body or HTTP Basic) and accepts it', async () => {
        const res = await form({
          grant_type: 'client_credentials',
          client_id: CLIENT_ID,
          client_secret: CLIENT_SECRET,
        });
        expect(res.status).toBe(200);
        expect(res.headers.get('cache-control')).toBe('no-store');
        const body = (await res.json()) as { access_token: string; token_type: string; expires_in: number };
        expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 60 });
        expect(
          (await post(url, JSON.stringify(change()), { Authorization: `Bearer ${body.access_token}` }))
            .status,
        ).toBe(200);

        const basic = await form(
          { grant_type: 'client_credentials' },
          { Authorization: `Basic ${Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64')}` },
        );
        expect(basic.status).toBe(200);
      });

      it('refuses wrong client credentials and other grants', async () => {
        const wrong = await form({
          grant_type: 'client_credentials',
          client_id: CLIENT_ID,
          client_secret: 'w'.repeat(40),
        });
        expect(wrong.status).toBe(401);
        expect(await wrong.json()).toEqual({ error: 'invalid_client' });
        const grant = await form({
          grant_type: 'password',
          client_id: CLIENT_ID,
          client_secret: CLIENT_SECRET,
        });
        expect(grant.status).toBe(400);
        expect(await grant.json()).toEqual({ error: 'unsupported_grant_type' });
      });

      it('answers invalid_client (401, not 500) for a Basic header with malformed percent-encoding', async () => {
        for (const credentials of [`${CLIENT_ID}:%zz${CLIENT_SECRET}`, `%E0%A4%A:${CLIENT_SECRET}`]) {
          const res = await form(
            { grant_type: 'client_credentials' },
            { Authorization: `Basic ${Buffer.from(credentials).toString('base64')}` },
          );
          expect(res.status).toBe(401);
          expect(res.headers.get('www-authenticate')).toBe('Basic realm="cashlink-webhooks"');
          expect(await res.json()).toEqual({ error: 'invalid_client' });
        }
      });

      it('accepts a token issued by another instance with the same configuration, refuses expired and foreign tokens', async () => {
        const sameConfig = new OAuth2WebhookTokenIssuer({
          clientId: CLIENT_ID,
          clientSecret: CLIENT_SECRET,
          signingSecret: CLIENT_SECRET,
          tokenTtlSeconds: 60,
        });
        const other = await sameConfig.issue();
        expect(
          (await post(url, JSON.stringify(change()), { Authorization: `Bearer ${other.access_token}` }))
            .status,
        ).toBe(200);

        const before = (await inboxRows(app)).length;
        const expired = await sameConfig.issue(undefined, Date.now() - 120_000);
        const expiredRes = await post(url, JSON.stringify(change()), {
          Authorization: `Bearer ${expired.access_token}`,
        });
        expect(expiredRes.status).toBe(401);
        expect(expiredRes.headers.get('www-authenticate')).toContain('invalid_token');

        // Same secret, another client id: another audience.
        const foreign = await new OAuth2WebhookTokenIssuer({
          clientId: 'someone-else',
          clientSecret: CLIENT_SECRET,
          signingSecret: CLIENT_SECRET,
          tokenTtlSeconds: 60,
        }).issue();
        expect(
          (await post(url, JSON.stringify(change()), { Authorization: `Bearer ${foreign.access_token}` }))
            .status,
        ).toBe(401);
        // Another secret.
        const forged = await new OAuth2WebhookTokenIssuer({
          clientId: CLIENT_ID,
          clientSecret: 'f'.repeat(40),
          signingSecret: 'f'.repeat(40),
          tokenTtlSeconds: 60,
        }).issue();
        expect(
          (await post(url, JSON.stringify(change()), { Authorization: `Bearer ${forged.access_token}` }))
            .status,
        ).toBe(401);
        expect((await post(url, JSON.stringify(change()))).status).toBe(401);
        expect((await inboxRows(app)).length).toBe(before);
      });
    });

    describe('jwt (external issuer, JWKS)', () => {
      let db: TestDatabase;
      let app: WebhooksTestApp;
      let jwks: Server;
      let key: CryptoKey;
      let url: string;
      const issuer = 'https://auth.example.test/';
      const audience = 'cashlink-webhooks';

      beforeAll(async () => {
        const pair = await generateKeyPair('RS256');
        key = pair.privateKey;
        const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
        jwks = createServer((_req, res) => {
          res.setHeader('Content-Type', 'application/json');
          res.end(JSON.stringify({ keys: [jwk] }));
        });
        await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
        const port = (jwks.address() as { port: number }).port;
        db = await createTestDatabase(kind);
        app = await startWebhooksTestApp({
          platform,
          db: db.options,
          webhooks: {
            auth: {
              type: 'jwt',
              jwksUrl: `http://127.0.0.1:${port}/.well-known/jwks.json`,
              issuer,
              audience,
            },
          },
        });
        url = `${app.origin}/cashlink/webhooks`;
      });
      afterAll(async () => {
        await app?.close();
        await db?.drop();
        await new Promise((resolve) => jwks?.close(resolve));
      });

      const sign = (claims: { iss?: string; aud?: string; exp?: number }, signingKey: CryptoKey = key) =>
        new SignJWT({})
          .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
          .setIssuer(claims.iss ?? issuer)
          .setAudience(claims.aud ?? audience)
          .setIssuedAt()
          .setExpirationTime(claims.exp ?? Math.floor(Date.now() / 1000) + 60)
          .sign(signingKey);

      it('accepts a token of the issuer for our audience', async () => {
        expect(
          (await post(url, JSON.stringify(change()), { Authorization: `Bearer ${await sign({})}` })).status,
        ).toBe(200);
      });

      it('answers 503 (Cashlink retries later) while the JWKS cannot be fetched, storing nothing', async () => {
        const closed = createServer();
        await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
        const port = (closed.address() as { port: number }).port;
        await new Promise((resolve) => closed.close(resolve));
        const unreachable = await startWebhooksTestApp({
          platform,
          db: db.options,
          webhooks: {
            auth: { type: 'jwt', jwksUrl: `http://127.0.0.1:${port}/jwks.json`, issuer, audience },
          },
        });
        try {
          const before = (await inboxRows(app)).length;
          const res = await post(`${unreachable.origin}/cashlink/webhooks`, JSON.stringify(change()), {
            Authorization: `Bearer ${await sign({})}`,
          });
          expect(res.status).toBe(503);
          expect((await inboxRows(app)).length).toBe(before);
        } finally {
          await unreachable.close();
        }
      });

      it('refuses another audience, another issuer, an expired token and a foreign key, storing nothing', async () => {
        const before = (await inboxRows(app)).length;
        const other = (await generateKeyPair('RS256')).privateKey;
        for (const token of [
          await sign({ aud: 'another-api' }),
          await sign({ iss: 'https://evil.example.test/' }),
          await sign({ exp: Math.floor(Date.now() / 1000) - 60 }),
          await sign({}, other),
        ]) {
          const res = await post(url, JSON.stringify(change()), { Authorization: `Bearer ${token}` });
          expect(res.status).toBe(401);
          expect(res.headers.get('www-authenticate')).toContain('invalid_token');
        }
        expect((await inboxRows(app)).length).toBe(before);
      });
    });

    describe('mounting', () => {
      let db: TestDatabase;
      const started: WebhooksTestApp[] = [];
      beforeAll(async () => {
        db = await createTestDatabase(kind);
      });
      afterAll(async () => {
        for (const a of started) await a.close();
        await db?.drop();
      });

      it('mounts nothing when webhooks are disabled', async () => {
        const off = await startWebhooksTestApp({ db: db.options, webhooks: false });
        started.push(off);
        const res = await post(`${off.origin}/cashlink/webhooks`, JSON.stringify(change()), {
          Authorization: `Bearer ${BEARER}`,
        });
        expect(res.status).toBe(404);
      });

      it('refuses webhooks without persistence at start-up', async () => {
        await expect(
          NestFactory.createApplicationContext(
            CashlinkModule.forRoot({
              baseUrl: 'http://127.0.0.1:9/api/external/distributor',
              tokenUrl: 'http://127.0.0.1:9/api/external/oauth/token',
              allowInsecureHttp: true,
              clientId: 'unused',
              clientSecret: 'unused-secret',
              webhooks: { auth: { type: 'bearer', tokens: [BEARER] } },
              persistence: false,
            }),
            { logger: false, abortOnError: false },
          ),
        ).rejects.toThrow(/webhooks need persistence/);
      });

      it('applies the global prefix to the receiver and the token endpoint', async () => {
        const prefixed = await startWebhooksTestApp({
          platform,
          db: db.options,
          globalPrefix: 'api',
          webhooks: { auth: { type: 'oauth2', clientId: CLIENT_ID, clientSecret: CLIENT_SECRET } },
        });
        started.push(prefixed);
        const token = await fetch(`${prefixed.origin}/api/cashlink/webhooks/oauth/token`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({
            grant_type: 'client_credentials',
            client_id: CLIENT_ID,
            client_secret: CLIENT_SECRET,
          }).toString(),
        });
        expect(token.status).toBe(200);
        const { access_token: accessToken } = (await token.json()) as { access_token: string };
        const auth = { Authorization: `Bearer ${accessToken}` };
        expect(
          (await post(`${prefixed.origin}/api/cashlink/webhooks`, JSON.stringify(change()), auth)).status,
        ).toBe(200);
        expect(
          (await post(`${prefixed.origin}/cashlink/webhooks`, JSON.stringify(change()), auth)).status,
        ).toBe(404);
      });

      it('lists the routes, declared as a controller, and answers the async path mismatch at start-up', async () => {
        const logs: string[] = [];
        const app = await startWebhooksTestApp({
          platform,
          db: db.options,
          logs,
          webhooks: {
            path: 'incoming/cashlink',
            auth: { type: 'oauth2', clientId: CLIENT_ID, clientSecret: CLIENT_SECRET },
          },
        });
        started.push(app);
        expect(logs).toEqual(
          expect.arrayContaining([
            expect.stringMatching(/Mapped \{\/incoming\/cashlink, POST\} route/),
            expect.stringMatching(/Mapped \{\/incoming\/cashlink\/oauth\/token, POST\} route/),
          ]),
        );
        // A path named only by a forRootAsync factory comes too late for a route: refused, with the fix.
        await expect(
          NestFactory.createApplicationContext(
            {
              module: class MismatchModule {},
              imports: [
                EventEmitterModule.forRoot(),
                TypeOrmModule.forRoot({ ...db.options, autoLoadEntities: true, logging: false }),
                CashlinkModule.forRootAsync({
                  useFactory: () => ({
                    baseUrl: 'http://127.0.0.1:9/api/external/distributor',
                    tokenUrl: 'http://127.0.0.1:9/api/external/oauth/token',
                    allowInsecureHttp: true,
                    clientId: 'unused',
                    clientSecret: 'unused-secret',
                    encryption: testEncryptionKeys(),
                    webhooks: { path: 'elsewhere', auth: { type: 'bearer', tokens: [BEARER] } },
                  }),
                }),
              ],
            },
            { logger: false, abortOnError: false },
          ),
        ).rejects.toThrow(/webhooks\.path 'elsewhere'.*module extra `webhooksPath`/);
      });

      it('lets an app-wide guard refuse Cashlink unless it applies the documented line', async () => {
        const plain = await startWebhooksTestApp({
          platform,
          db: db.options,
          rejectAllGuard: 'plain',
          webhooks: { auth: { type: 'bearer', tokens: [BEARER] } },
        });
        started.push(plain);
        const auth = { Authorization: `Bearer ${BEARER}` };
        const before = await plain.webhooks.count({});
        const refused = await post(`${plain.origin}/cashlink/webhooks`, JSON.stringify(change()), auth);
        expect(refused.status).toBe(403);
        expect(await plain.webhooks.count({})).toBe(before);

        const through = await startWebhooksTestApp({
          platform,
          db: db.options,
          rejectAllGuard: 'lets-cashlink-through',
          webhooks: { auth: { type: 'bearer', tokens: [BEARER] } },
        });
        started.push(through);
        const c = change();
        const res = await fetch(`${through.origin}/cashlink/webhooks`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', ...auth },
          body: JSON.stringify(c),
        });
        expect(res.status).toBe(200);
        expect(await res.json()).toEqual({ received: true, outcome: 'stored' });
        // Apps of this block share the database: whichever dispatches it, the change reaches a listener.
        await waitFor(
          async () =>
            (await through.webhooks.list({ investmentId: c.investment_id }))[0]?.state === 'processed',
          10000,
          'dispatch through the guard',
        );
        // The guard still guards the app: the line lets only Cashlink's routes through.
        const other = await fetch(`${through.origin}/anything-else`, { method: 'POST' });
        expect([403, 404]).toContain(other.status);
      });

      it('stores the exact bytes of a quarantined body when the app keeps raw bodies', async () => {
        const raw = await startWebhooksTestApp({
          platform,
          db: db.options,
          rawBody: true,
          webhooks: { auth: { type: 'bearer', tokens: [BEARER] } },
        });
        started.push(raw);
        // Spacing and key order that a re-serialisation of the parsed JSON would not keep.
        const body = `{ "status" : "?",\n  "investment_id": "${randomUUID()}" }`;
        const res = await fetch(`${raw.origin}/cashlink/webhooks`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${BEARER}` },
          body,
        });
        expect(await res.json()).toEqual({ received: true, outcome: 'quarantined' });
        const rows = await raw.webhooks.list({ state: 'quarantined' });
        const ids = rows.map((r) => r.id);
        const stored = await Promise.all(ids.map((id) => raw.webhooks.find(id)));
        expect(stored.map((r) => r?.rawBody)).toContain(body);
      });

      it('answers the same under a response-mapping interceptor', async () => {
        const wrapped = await startWebhooksTestApp({
          platform,
          db: db.options,
          wrappingInterceptor: true,
          webhooks: { auth: { type: 'bearer', tokens: [BEARER] } },
        });
        started.push(wrapped);
        const res = await fetch(`${wrapped.origin}/cashlink/webhooks`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${BEARER}` },
          body: JSON.stringify(change()),
        });
        expect(res.status).toBe(200);
        expect(await res.json()).toEqual({ received: true, outcome: 'stored' });
        const unauthorised = await post(`${wrapped.origin}/cashlink/webhooks`, JSON.stringify(change()));
        expect(unauthorised.status).toBe(401);
      });
    });
  });
});
