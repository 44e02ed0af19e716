import { routePathProblems, webhookRoutePaths } from './webhook-routes';

describe('webhookRoutePaths', () => {
  it('defaults to cashlink/webhooks and its oauth/token', () => {
    expect(webhookRoutePaths({}, undefined)).toEqual({
      path: 'cashlink/webhooks',
      tokenPath: 'cashlink/webhooks/oauth/token',
    });
  });

  it('takes the extras first, then forRoot options, and normalises slashes', () => {
    expect(webhookRoutePaths({ webhooksPath: '/hooks/' }, { webhooks: { path: 'ignored' } })).toEqual({
      path: 'hooks',
      tokenPath: 'hooks/oauth/token',
    });
    expect(
      webhookRoutePaths(
        {},
        { webhooks: { path: 'in/options', auth: { type: 'oauth2', tokenPath: '/tok' } } },
      ),
    ).toEqual({ path: 'in/options', tokenPath: 'tok' });
    expect(webhookRoutePaths({ webhooksTokenPath: 't' }, { webhooks: false })).toEqual({
      path: 'cashlink/webhooks',
      tokenPath: 't',
    });
  });
});

describe('routePathProblems', () => {
  const routes = { path: 'cashlink/webhooks', tokenPath: 'cashlink/webhooks/oauth/token' };

  it('accepts options that name no path, or the declared ones', () => {
    expect(routePathProblems(routes, { auth: { type: 'bearer' } })).toEqual([]);
    expect(routePathProblems(routes, { path: '/cashlink/webhooks/' })).toEqual([]);
    expect(routePathProblems(routes, false)).toEqual([]);
  });

  it('names the option and the extra to use when a factory gives another path', () => {
    expect(
      routePathProblems(routes, { path: 'other', auth: { type: 'oauth2', tokenPath: 'other/token' } }),
    ).toEqual([
      expect.stringMatching(/^webhooks\.path 'other' differs .*module extra `webhooksPath`/),
      expect.stringMatching(/^webhooks\.auth\.tokenPath 'other\/token' differs .*`webhooksTokenPath`/),
    ]);
  });
});
