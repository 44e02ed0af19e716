import { resolveWebhooksOptions } from './webhooks.options';

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
      dispatch: { enabled: true, intervalMs: 1000, batchSize: 20, maxAttempts: 8, leaseMs: 60000 },
    });
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
    expect(missing).toEqual([expect.stringContaining('webhooks.auth is required')]);
  });
});
