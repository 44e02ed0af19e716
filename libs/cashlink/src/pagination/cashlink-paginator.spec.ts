import { CashlinkUnsafeUrlError } from '../errors/cashlink-client.error';
import { resolvePageLink } from './cashlink-paginator';

const options = { apiOrigin: 'https://demo.cashlink.de', apiBasePath: '/api/external/distributor' };

describe('resolvePageLink', () => {
  it('turns a link under the API into a relative path and query', () => {
    expect(
      resolvePageLink(
        'https://demo.cashlink.de/api/external/distributor/v2/investments/?page=3&page_size=2',
        options,
      ),
    ).toEqual({ path: '/v2/investments/', query: { page: '3', page_size: '2' } });
  });

  it('keeps repeated parameters', () => {
    expect(
      resolvePageLink('https://demo.cashlink.de/api/external/distributor/v2/x/?s=a&s=b', options).query,
    ).toEqual({
      s: ['a', 'b'],
    });
  });

  it('resolves a relative link against the API origin', () => {
    expect(resolvePageLink('/api/external/distributor/v2/x/?page=2', options).path).toBe('/v2/x/');
  });

  it.each([
    ['another host', 'https://evil.example/api/external/distributor/v2/x/?page=2'],
    ['another scheme', 'http://demo.cashlink.de/api/external/distributor/v2/x/'],
    ['another port', 'https://demo.cashlink.de:8443/api/external/distributor/v2/x/'],
    ['a look-alike host', 'https://demo.cashlink.de.evil.example/api/external/distributor/v2/x/'],
    ['user info', 'https://attacker@demo.cashlink.de/api/external/distributor/v2/x/'],
    ['a path outside the base', 'https://demo.cashlink.de/api/external/oauth/token'],
    ['a prefix of the base', 'https://demo.cashlink.de/api/external/distributorX/v2/'],
    ['a dot-dot escape', 'https://demo.cashlink.de/api/external/distributor/../oauth/token'],
    ['a non-http scheme', 'javascript:alert(1)'],
  ])('refuses %s', (_what, link) => {
    expect(() => resolvePageLink(link, options)).toThrow(CashlinkUnsafeUrlError);
  });

  it('names the refused origin and the allowed one in the error', () => {
    try {
      resolvePageLink('https://evil.example/x', options);
      throw new Error('expected a refusal');
    } catch (error) {
      expect((error as CashlinkUnsafeUrlError).refusedOrigin).toBe('https://evil.example');
      expect((error as Error).message).toContain('https://demo.cashlink.de');
    }
  });
});
