import { startCashlinkEmulator, type CashlinkEmulator } from 'nestjs-cashlink/testing';
import { api, getToken } from './emulator-test.helpers';

function tokenRequest(
  emu: CashlinkEmulator,
  form: Record<string, string>,
  headers: Record<string, string> = {},
) {
  return fetch(emu.tokenUrl, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(form),
  });
}

describe('emulator: OAuth token endpoint, tokens and scopes', () => {
  let emu: CashlinkEmulator;

  beforeAll(async () => {
    emu = await startCashlinkEmulator({
      clientId: 'my-client',
      clientSecret: 's3cret',
      tokenLifetimeSeconds: 120,
    });
  });
  afterAll(() => emu.close());
  beforeEach(() => emu.reset());

  it('issues a bearer token for form-encoded client credentials in the body', async () => {
    const response = await tokenRequest(emu, {
      grant_type: 'client_credentials',
      client_id: 'my-client',
      client_secret: 's3cret',
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toEqual({
      access_token: expect.any(String),
      token_type: 'Bearer',
      expires_in: 120,
      scope: 'investors:read investors:write investments:read investments:write documents:write',
    });
    expect(emu.tokenRequests()).toBe(1);
  });

  it('accepts client credentials by HTTP Basic', async () => {
    const basic = Buffer.from('my-client:s3cret').toString('base64');
    const response = await tokenRequest(
      emu,
      { grant_type: 'client_credentials', scope: 'investors:read' },
      { Authorization: `Basic ${basic}` },
    );
    expect(response.status).toBe(200);
    expect(((await response.json()) as { scope: string }).scope).toBe('investors:read');
  });

  it.each([
    ['a wrong secret', { client_id: 'my-client', client_secret: 'wrong' }],
    ['a wrong client id', { client_id: 'other', client_secret: 's3cret' }],
    ['no credentials', {}],
  ])('answers 401 invalid_client for %s', async (_label, credentials) => {
    const response = await tokenRequest(emu, { grant_type: 'client_credentials', ...credentials });
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: 'invalid_client', detail: expect.any(String) });
  });

  it('answers 401 for wrong Basic credentials', async () => {
    const basic = Buffer.from('my-client:nope').toString('base64');
    const response = await tokenRequest(
      emu,
      { grant_type: 'client_credentials' },
      { Authorization: `Basic ${basic}` },
    );
    expect(response.status).toBe(401);
  });

  it('rejects another grant type, an unknown scope and a body that is not form-encoded', async () => {
    const creds = { client_id: 'my-client', client_secret: 's3cret' };
    const grant = await tokenRequest(emu, { grant_type: 'password', ...creds });
    expect(grant.status).toBe(400);
    expect(await grant.json()).toMatchObject({ error: 'unsupported_grant_type' });
    const scope = await tokenRequest(emu, { grant_type: 'client_credentials', scope: 'admin:all', ...creds });
    expect(scope.status).toBe(400);
    expect(await scope.json()).toMatchObject({ error: 'invalid_scope' });
    const json = await fetch(emu.tokenUrl, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ grant_type: 'client_credentials', ...creds }),
    });
    expect(json.status).toBe(400);
    expect(emu.tokenRequests()).toBe(3);
  });

  it('never puts the client secret or a token into the request log', async () => {
    const token = await getToken(emu);
    await api(emu, token, 'GET', '/v2/investors/');
    const log = JSON.stringify(emu.requests());
    expect(log).not.toContain('s3cret');
    expect(log).not.toContain(token);
    expect(emu.requests().map((r) => [r.method, r.path, r.status])).toEqual([
      ['POST', '/oauth/token', 200],
      ['GET', '/v2/investors/', 200],
    ]);
  });

  it('answers 401 with {"detail"} for a missing, unknown or malformed bearer token', async () => {
    for (const headers of [{}, { Authorization: 'Bearer nope' }, { Authorization: 'Token abc' }] as Record<
      string,
      string
    >[]) {
      const answer = await api(emu, undefined, 'GET', '/v2/investors/', { headers });
      expect(answer.status).toBe(401);
      expect(answer.body).toEqual({ detail: expect.any(String) });
      expect(answer.headers.get('www-authenticate')).toMatch(/^Bearer/);
    }
  });

  it('answers 401 once tokens are expired by the control method, and a new token works', async () => {
    const token = await getToken(emu);
    expect((await api(emu, token, 'GET', '/v2/investors/')).status).toBe(200);
    emu.expireAllTokens();
    const expired = await api(emu, token, 'GET', '/v2/investors/');
    expect(expired.status).toBe(401);
    expect(expired.body).toEqual({ detail: 'Token has expired.' });
    expect((await api(emu, await getToken(emu), 'GET', '/v2/investors/')).status).toBe(200);
  });

  it('lets tokens expire after the configured lifetime', async () => {
    const shortLived = await startCashlinkEmulator({ tokenLifetimeSeconds: 1 });
    try {
      const token = await getToken(shortLived);
      expect((await api(shortLived, token, 'GET', '/v2/products/')).status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 1100));
      expect((await api(shortLived, token, 'GET', '/v2/products/')).status).toBe(401);
    } finally {
      await shortLived.close();
    }
  });

  // Contract §1/§3 (per-endpoint mapping assumed): reads need *:read, writes *:write, uploads documents:write.
  it.each([
    ['GET', '/v2/investors/', 'investors:read'],
    ['GET', '/v2/investors/00000000-0000-0000-0000-000000000000/', 'investors:read'],
    ['POST', '/v2/investors/', 'investors:write'],
    ['PATCH', '/v2/investors/00000000-0000-0000-0000-000000000000/', 'investors:write'],
    ['POST', '/v2/investors/00000000-0000-0000-0000-000000000000/identifications/', 'investors:write'],
    ['POST', '/v2/investors/00000000-0000-0000-0000-000000000000/wallets/eth-generic/', 'investors:write'],
    ['POST', '/v2/investors/00000000-0000-0000-0000-000000000000/wallets/eth-managed/', 'investors:write'],
    ['GET', '/v2/products/', 'investments:read'],
    ['GET', '/v2/campaigns/', 'investments:read'],
    ['GET', '/v2/campaigns/00000000-0000-0000-0000-000000000000/', 'investments:read'],
    ['POST', '/v2/investments/', 'investments:write'],
    ['GET', '/v2/investments/', 'investments:read'],
    ['GET', '/v2/investments/00000000-0000-0000-0000-000000000000/', 'investments:read'],
    ['POST', '/v2/documents/', 'documents:write'],
  ])('%s %s needs %s: 403 without it, not 403 with it', async (method, path, scope) => {
    const others = [
      'investors:read',
      'investors:write',
      'investments:read',
      'investments:write',
      'documents:write',
    ].filter((s) => s !== scope);
    const json = method === 'GET' ? undefined : {};
    const without = await api(emu, await getToken(emu, others.join(' ')), method, path, { json });
    expect(without.status).toBe(403);
    expect(without.body).toEqual({ detail: expect.stringContaining(scope) });
    const withScope = await api(emu, await getToken(emu, scope), method, path, { json });
    expect(withScope.status).not.toBe(403);
    expect(withScope.status).not.toBe(401);
  });
});
