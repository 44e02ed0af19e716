import { checkBoolean, checkNumber, checkSecureUrl, isLoopbackHost } from './option-checks';

describe('option checks', () => {
  describe('checkNumber', () => {
    it('returns the value, or the fallback when undefined, without a problem', () => {
      const problems: string[] = [];
      expect(checkNumber(problems, 'http.timeoutMs', 5, 30_000, { min: 1 })).toBe(5);
      expect(checkNumber(problems, 'http.timeoutMs', undefined, 30_000, { min: 1 })).toBe(30_000);
      expect(checkNumber(problems, 'backoff.multiplier', 1.5, 2, { min: 1, integer: false })).toBe(1.5);
      expect(problems).toEqual([]);
    });

    it.each([
      ['a fraction', 1.5],
      ['NaN', Number.NaN],
      ['Infinity', Number.POSITIVE_INFINITY],
      ['a string', '5'],
      ['below min', 0],
      ['above max', 21],
    ])('refuses %s: the fallback, and one line naming the option and the rule', (_what, value) => {
      const problems: string[] = [];
      expect(checkNumber(problems, 'http.maxRetries', value, 3, { min: 1, max: 20 })).toBe(3);
      expect(problems).toEqual([
        'http.maxRetries: must be a whole number between 1 and 20 (default 3); omit it for the default',
      ]);
    });

    it('refuses NaN and Infinity for non-integer rules too', () => {
      const problems: string[] = [];
      checkNumber(problems, 'x', Number.NaN, 2, { min: 1, integer: false });
      checkNumber(problems, 'x', Number.POSITIVE_INFINITY, 2, { min: 1, integer: false });
      expect(problems).toEqual([
        'x: must be a number >= 1 (default 2); omit it for the default',
        'x: must be a number >= 1 (default 2); omit it for the default',
      ]);
    });
  });

  it('checkBoolean', () => {
    const problems: string[] = [];
    expect(checkBoolean(problems, 'allowInsecureHttp', true, false)).toBe(true);
    expect(checkBoolean(problems, 'allowInsecureHttp', undefined, false)).toBe(false);
    expect(checkBoolean(problems, 'allowInsecureHttp', 'yes', false)).toBe(false);
    expect(problems).toEqual(['allowInsecureHttp: must be true or false']);
  });

  describe('checkSecureUrl', () => {
    const check = (value: unknown, rule: Partial<Parameters<typeof checkSecureUrl>[3]> = {}) => {
      const problems: string[] = [];
      const url = checkSecureUrl(problems, 'webhooks.auth.jwksUrl', value, {
        allowInsecureHttp: false,
        ...rule,
      });
      return { url, problems };
    };

    it('accepts https anywhere, and http on loopback hosts only', () => {
      expect(check('https://issuer.example/.well-known/jwks.json?v=1').url?.host).toBe('issuer.example');
      for (const host of ['localhost', '127.0.0.1', '[::1]']) {
        expect(isLoopbackHost(host)).toBe(true);
        expect(check(`http://${host}:4000/jwks`).problems).toEqual([]);
      }
      expect(check('http://issuer.example/jwks').problems).toEqual([
        'webhooks.auth.jwksUrl: must use https (http is accepted for loopback hosts, or anywhere with allowInsecureHttp: true)',
      ]);
      expect(
        check('http://issuer.example/jwks', { insecureOption: 'webhooks.auth.allowInsecureHttp' })
          .problems[0],
      ).toMatch(/anywhere with webhooks\.auth\.allowInsecureHttp: true/);
      expect(check('http://issuer.example/jwks', { allowInsecureHttp: true }).problems).toEqual([]);
      expect(check('ftp://127.0.0.1/jwks', { allowInsecureHttp: true }).url).toBeUndefined();
    });

    it('refuses a relative URL or a non-string', () => {
      expect(check('/jwks').problems).toEqual([
        'webhooks.auth.jwksUrl: must be an absolute URL such as https://...',
      ]);
      expect(check(42, { example: 'https://issuer/jwks' }).problems).toEqual([
        'webhooks.auth.jwksUrl: must be an absolute URL such as https://issuer/jwks',
      ]);
    });

    it('refuses user info without echoing it; a query or fragment only when bare', () => {
      const { url, problems } = check('https://user:s3cret@issuer.example/jwks');
      expect(url).toBeUndefined();
      expect(problems).toEqual(['webhooks.auth.jwksUrl: must not contain user info']);
      expect(problems.join()).not.toContain('s3cret');
      expect(check('https://issuer.example/api?x=1', { bare: true }).problems).toEqual([
        'webhooks.auth.jwksUrl: must not contain user info, a query or a fragment',
      ]);
    });
  });
});
