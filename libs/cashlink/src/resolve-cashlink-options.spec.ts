import { CASHLINK_DEFAULT_SCOPES } from './cashlink.constants';
import { CashlinkConfigError } from './errors/cashlink.error';
import type { CashlinkModuleOptions } from './cashlink-module-options.interface';
import { CASHLINK_OPTION_DEFAULTS, resolveCashlinkOptions } from './resolve-cashlink-options';

const SECRET = 'super-secret-value-7f3a';

function problemsOf(input: unknown): readonly string[] {
  try {
    resolveCashlinkOptions(input as CashlinkModuleOptions);
  } catch (error) {
    expect(error).toBeInstanceOf(CashlinkConfigError);
    return (error as CashlinkConfigError).problems;
  }
  throw new Error('expected a CashlinkConfigError');
}

describe('resolveCashlinkOptions', () => {
  it('applies the demo preset and every default', () => {
    const resolved = resolveCashlinkOptions({ environment: 'demo', clientId: 'id', clientSecret: SECRET });
    expect(resolved.baseUrl).toBe('https://demo.cashlink.de/api/external/distributor');
    expect(resolved.tokenUrl).toBe('https://demo.cashlink.de/api/external/oauth/token');
    expect(resolved.apiOrigin).toBe('https://demo.cashlink.de');
    expect(resolved.apiBasePath).toBe('/api/external/distributor');
    expect(resolved.scopes).toEqual(CASHLINK_DEFAULT_SCOPES);
    expect(resolved.tokenAuthMethod).toBe('body');
    expect(resolved.http).toEqual(CASHLINK_OPTION_DEFAULTS.http);
    expect(resolved.auth).toEqual(CASHLINK_OPTION_DEFAULTS.auth);
    expect(resolved.documents).toEqual(CASHLINK_OPTION_DEFAULTS.documents);
    expect(resolved.clientSecret).toBe(SECRET);
  });

  it('uses the production preset', () => {
    const resolved = resolveCashlinkOptions({
      environment: 'production',
      clientId: 'id',
      clientSecret: SECRET,
    });
    expect(resolved.baseUrl).toBe('https://connect.cashlink.de/api/external/distributor');
  });

  it('lets explicit URLs win over the preset and strips a trailing slash', () => {
    const resolved = resolveCashlinkOptions({
      environment: 'demo',
      baseUrl: 'https://sandbox.example.com/api/external/distributor/',
      clientId: 'id',
      clientSecret: SECRET,
    });
    expect(resolved.baseUrl).toBe('https://sandbox.example.com/api/external/distributor');
    expect(resolved.tokenUrl).toBe('https://demo.cashlink.de/api/external/oauth/token');
  });

  it('merges partial sections with the defaults', () => {
    const resolved = resolveCashlinkOptions({
      environment: 'demo',
      clientId: 'id',
      clientSecret: SECRET,
      http: { maxRetries: 0 },
      auth: { expirySkewMs: 0 },
    });
    expect(resolved.http).toEqual({ ...CASHLINK_OPTION_DEFAULTS.http, maxRetries: 0 });
    expect(resolved.auth.defaultTokenLifetimeMs).toBe(CASHLINK_OPTION_DEFAULTS.auth.defaultTokenLifetimeMs);
  });

  it('keeps the secret out of serialisations of the options', () => {
    const resolved = resolveCashlinkOptions({ environment: 'demo', clientId: 'id', clientSecret: SECRET });
    expect(JSON.stringify(resolved)).not.toContain(SECRET);
    expect(Object.keys(resolved)).not.toContain('clientSecret');
  });

  it('accepts http on loopback hosts only, unless allowInsecureHttp is set', () => {
    expect(() =>
      resolveCashlinkOptions({
        baseUrl: 'http://127.0.0.1:1234/api',
        tokenUrl: 'http://localhost:1234/token',
        clientId: 'id',
        clientSecret: SECRET,
      }),
    ).not.toThrow();
    expect(
      problemsOf({
        baseUrl: 'http://cashlink.example/api',
        tokenUrl: 'https://x.example/t',
        clientId: 'i',
        clientSecret: 's',
      }),
    ).toEqual([expect.stringMatching(/^baseUrl: must use https/)]);
    expect(() =>
      resolveCashlinkOptions({
        baseUrl: 'http://emulator:8080/api',
        tokenUrl: 'http://emulator:8080/token',
        allowInsecureHttp: true,
        clientId: 'id',
        clientSecret: SECRET,
      }),
    ).not.toThrow();
  });

  it('lists every problem in one error, each naming the option and the fix, never the secret', () => {
    let error: unknown;
    try {
      resolveCashlinkOptions({
        environment: 'staging',
        baseUrl: 'not a url',
        tokenUrl: `https://user:${SECRET}@demo.cashlink.de/token`,
        clientId: '',
        clientSecret: 42,
        scopes: ['investors:read', 'two words'],
        tokenAuthMethod: 'header',
        auth: { expirySkewMs: -1, defaultTokenLifetimeMs: 0 },
        http: {
          timeoutMs: 1.5,
          maxRetries: 100,
          retryBaseDelayMs: 500,
          retryMaxDelayMs: 100,
          maxRetryAfterMs: 'x',
        },
        documents: { maxSizeBytes: 0 },
        allowInsecureHttp: 'yes',
      } as unknown as CashlinkModuleOptions);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CashlinkConfigError);
    const { problems, message } = error as CashlinkConfigError;
    const names = problems.map((p) => p.split(':')[0]);
    expect(names).toEqual([
      'environment',
      'allowInsecureHttp',
      'baseUrl',
      'tokenUrl',
      'clientId',
      'clientSecret',
      'scopes',
      'tokenAuthMethod',
      'auth.expirySkewMs',
      'auth.defaultTokenLifetimeMs',
      'http.timeoutMs',
      'http.maxRetries',
      'http.maxRetryAfterMs',
      'http.retryMaxDelayMs',
      'documents.maxSizeBytes',
    ]);
    for (const problem of problems) expect(problem).toMatch(/: (must|required)/);
    expect(message).toContain('Invalid nestjs-cashlink options');
    expect(message).not.toContain(SECRET);
  });

  it('requires both URLs without an environment', () => {
    expect(problemsOf({ clientId: 'id', clientSecret: 's' })).toEqual([
      expect.stringMatching(/^baseUrl: required without 'environment'/),
      expect.stringMatching(/^tokenUrl: required without 'environment'/),
    ]);
  });

  it('refuses a non-object and non-object sections', () => {
    expect(problemsOf(undefined)).toEqual([expect.stringMatching(/^options: expected an object/)]);
    expect(problemsOf({ environment: 'demo', clientId: 'i', clientSecret: 's', http: 5 })).toEqual([
      'http: must be an object (or omitted for the defaults)',
    ]);
  });
});

describe('resolveCashlinkOptions: unknown options', () => {
  it('names an unknown option and suggests the known one of the same name', () => {
    expect(
      problemsOf({
        environment: 'demo',
        clientId: 'i',
        clientSecret: 's',
        timeoutMs: 5,
        http: { maxretries: 2 },
      }),
    ).toEqual([
      'timeoutMs: unknown option; did you mean http.timeoutMs?',
      'http.maxretries: unknown option; did you mean http.maxRetries?',
    ]);
  });

  it('lists the known options of the section when nothing is close', () => {
    expect(
      problemsOf({ environment: 'demo', clientId: 'i', clientSecret: 's', documents: { limit: 1 } }),
    ).toEqual(['documents.limit: unknown option; known here: maxSizeBytes']);
  });

  it("reports every section's problems in one format, and unknown options of every section", () => {
    const problems = problemsOf({
      clientId: 'id',
      clientSecret: 'secret',
      environment: 'demo',
      http: { timeoutMs: 0 },
      idempotency: { leaseMs: 1, recovery: { batchsize: 5 } },
      webhooks: { auth: { type: 'bearer', tokens: ['short'] }, dispatch: { leaseMs: 1 }, maxBody: 1 },
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^http\.timeoutMs: must be a whole number >= 1/),
        expect.stringMatching(/^idempotency\.leaseMs: must be a whole number >= 100/),
        'idempotency.recovery.batchsize: unknown option; did you mean idempotency.recovery.batchSize?',
        expect.stringMatching(/^webhooks\.auth\.tokens\[0\]: must be a string of at least 32 characters/),
        expect.stringMatching(/^webhooks\.dispatch\.leaseMs: must be a whole number >= 100/),
        expect.stringMatching(/^webhooks\.maxBody: unknown option/),
      ]),
    );
    for (const problem of problems) expect(problem).toMatch(/^[\w.[\]]+: \S/);
  });
});
