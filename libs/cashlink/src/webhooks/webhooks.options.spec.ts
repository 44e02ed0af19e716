import { inspect } from 'node:util';
import { resolveCashlinkOptions } from '../resolve-cashlink-options';
import { BearerWebhookAuthenticator } from './auth/bearer-webhook-authenticator';
import { resolveWebhooksOptions, type CashlinkWebhooksOptions } from './webhooks.options';

const SECRET = 'z'.repeat(40);

describe('resolveWebhooksOptions', () => {
  it('mounts nothing when absent or false', () => {
    const problems: string[] = [];
    expect(resolveWebhooksOptions(undefined, problems)).toMatchObject({ enabled: false, auth: null });
    expect(resolveWebhooksOptions(false, problems).enabled).toBe(false);
    expect(problems).toEqual([]);
  });

  it('merges defaults', () => {
    const problems: string[] = [];
    const resolved = resolveWebhooksOptions({ auth: { type: 'bearer', tokens: [SECRET] } }, problems);
    expect(problems).toEqual([]);
    expect(resolved).toMatchObject({
      enabled: true,
      path: 'cashlink/webhooks',
      maxBodyBytes: 65536,
      fetchInvestment: false,
      dispatch: { enabled: true, intervalMs: 1000, batchSize: 100, maxAttempts: 8, leaseMs: 10000 },
      retentionMs: 30 * 24 * 3_600_000,
    });
  });

  it('takes retentionMs (false keeps every row; at least one hour)', () => {
    const auth = { type: 'bearer' as const, tokens: [SECRET] };
    const problems: string[] = [];
    expect(resolveWebhooksOptions({ auth, retentionMs: false }, problems).retentionMs).toBe(false);
    expect(resolveWebhooksOptions({ auth, retentionMs: 7_200_000 }, problems).retentionMs).toBe(7_200_000);
    expect(problems).toEqual([]);
    resolveWebhooksOptions({ auth, retentionMs: 60_000 }, problems);
    expect(problems).toEqual([
      'webhooks.retentionMs: must be a whole number >= 3600000 (default 2592000000); omit it for the default',
    ]);
  });

  it('normalises paths and derives the oauth2 token path and signing secret', () => {
    const problems: string[] = [];
    const resolved = resolveWebhooksOptions(
      { path: '/hooks/cashlink/', auth: { type: 'oauth2', clientId: 'cashlink', clientSecret: SECRET } },
      problems,
    );
    expect(problems).toEqual([]);
    expect(resolved.path).toBe('hooks/cashlink');
    expect(resolved.auth).toMatchObject({
      type: 'oauth2',
      tokenPath: 'hooks/cashlink/oauth/token',
      tokenTtlSeconds: 300,
      signingSecret: SECRET,
    });
  });

  it('lists every invalid option without quoting a secret', () => {
    const problems: string[] = [];
    const shortSecret = 'short-secret-value';
    resolveWebhooksOptions(
      {
        path: 'a b',
        maxBodyBytes: 1.5,
        auth: { type: 'bearer', tokens: [shortSecret] },
        dispatch: { intervalMs: 0, maxAttempts: 0, backoff: { multiplier: 0.5 } },
      },
      problems,
    );
    expect(problems).toHaveLength(6);
    expect(problems.join('\n')).not.toContain(shortSecret);
    expect(problems.some((p) => p.startsWith('webhooks.auth.tokens[0]'))).toBe(true);

    const more: string[] = [];
    resolveWebhooksOptions({ auth: { type: 'jwt', jwksUrl: 'not a url', issuer: '', audience: [] } }, more);
    expect(more).toHaveLength(3);
    const missing: string[] = [];
    resolveWebhooksOptions({} as never, missing);
    expect(missing).toEqual([expect.stringContaining('webhooks.auth: required')]);
  });

  it('keeps bearer tokens, the OAuth client secret and the signing secret out of JSON and inspect', () => {
    const signing = 'g'.repeat(40);
    const cases: Array<[CashlinkWebhooksOptions, string[]]> = [
      [{ auth: { type: 'bearer', tokens: [SECRET, 'y'.repeat(40)] } }, [SECRET, 'y'.repeat(40)]],
      [
        { auth: { type: 'oauth2', clientId: 'cashlink', clientSecret: SECRET, signingSecret: signing } },
        [SECRET, signing],
      ],
    ];
    for (const [webhooks, secrets] of cases) {
      const problems: string[] = [];
      const resolved = resolveWebhooksOptions(webhooks, problems);
      expect(problems).toEqual([]);
      const all = resolveCashlinkOptions({
        baseUrl: 'https://cashlink.example.test/api/external/distributor',
        tokenUrl: 'https://cashlink.example.test/api/external/oauth/token',
        clientId: 'client',
        clientSecret: 'c'.repeat(40),
        webhooks,
      });
      for (const shown of [
        JSON.stringify(resolved),
        inspect(resolved, { depth: 10 }),
        JSON.stringify(all),
        inspect(all, { depth: 10 }),
      ]) {
        for (const secret of secrets) expect(shown).not.toContain(secret);
      }
    }
    // Still readable by the code that needs them.
    const bearer = resolveWebhooksOptions(cases[0]![0], []).auth;
    expect(bearer).toMatchObject({ type: 'bearer', tokens: [SECRET, 'y'.repeat(40)] });
    const oauth = resolveWebhooksOptions(cases[1]![0], []).auth as {
      clientSecret: string;
      signingSecret: string;
    };
    expect([oauth.clientSecret, oauth.signingSecret]).toEqual([SECRET, signing]);
  });

  it('refuses at start-up a bearer token that no Authorization header can carry', async () => {
    // 40 characters, no whitespace, but outside RFC 6750's b64token: it could never authenticate.
    for (const token of ['p@ss:word!'.repeat(4), `${'a'.repeat(39)}"`, `=${'a'.repeat(39)}`]) {
      const problems: string[] = [];
      resolveWebhooksOptions({ auth: { type: 'bearer', tokens: [SECRET, token] } }, problems);
      expect(problems).toEqual([expect.stringMatching(/^webhooks\.auth\.tokens\[1\]: .*RFC 6750/)]);
      expect(problems[0]).not.toContain(token);
    }
    // Everything the syntax allows is accepted, and does authenticate.
    const token = `AZaz09-._~+/${'x'.repeat(24)}==`;
    const problems: string[] = [];
    const resolved = resolveWebhooksOptions({ auth: { type: 'bearer', tokens: [token] } }, problems);
    expect(problems).toEqual([]);
    const auth = resolved.auth as { tokens: string[] };
    expect(await new BearerWebhookAuthenticator(auth.tokens).authenticate(`Bearer ${token}`)).toEqual({
      ok: true,
    });
  });

  it('requires an https JWKS URL, except on loopback hosts or with allowInsecureHttp', () => {
    const jwt = (jwksUrl: string, allowInsecureHttp?: boolean) => {
      const problems: string[] = [];
      resolveWebhooksOptions(
        {
          auth: {
            type: 'jwt',
            jwksUrl,
            issuer: 'https://issuer.example.test/',
            audience: 'cashlink-webhooks',
            ...(allowInsecureHttp === undefined ? {} : { allowInsecureHttp }),
          },
        },
        problems,
      );
      return problems;
    };
    expect(jwt('https://issuer.example.test/.well-known/jwks.json')).toEqual([]);
    expect(jwt('http://127.0.0.1:8080/jwks.json')).toEqual([]);
    expect(jwt('http://localhost/jwks.json')).toEqual([]);
    expect(jwt('http://[::1]:9000/jwks.json')).toEqual([]);
    expect(jwt('http://issuer.example.test/jwks.json')).toEqual([
      expect.stringContaining('webhooks.auth.jwksUrl: must use https'),
    ]);
    expect(jwt('http://issuer.internal/jwks.json', true)).toEqual([]);
    expect(jwt('ftp://issuer.example.test/jwks.json')).toEqual([
      expect.stringContaining('webhooks.auth.jwksUrl: must use https'),
    ]);
    expect(jwt('http://issuer.internal/jwks.json', 'yes' as never)).toHaveLength(2);
  });
});
