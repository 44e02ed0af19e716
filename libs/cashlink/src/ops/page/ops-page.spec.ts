import { CashlinkConfigError } from '../../errors/cashlink.error';
import { resolveOpsPageOptions } from './cashlink-ops-page.module';
import { createOpsPageController } from './ops-page.controller';
import { CSRF_COOKIE, OpsCsrf, readCookie } from './ops-page.csrf';
import { esc } from './ops-page.html';
import { OPS_PAGE_UNGUARDED_LOCAL_ONLY } from './ops-page.options';

const guard = { canActivate: () => true };

describe('ops page options', () => {
  it('refuses to start without a guard, saying how to fix it', () => {
    expect(() => resolveOpsPageOptions({})).toThrow(CashlinkConfigError);
    expect(() => resolveOpsPageOptions({})).toThrow(/opsPage\.guard is required/);
  });

  it('starts without a guard only with the explicit local-only value', () => {
    expect(resolveOpsPageOptions({ unguarded: OPS_PAGE_UNGUARDED_LOCAL_ONLY }).path).toBe('ops/cashlink');
    expect(() => resolveOpsPageOptions({ unguarded: 'yes' as never })).toThrow(/guard is required/);
  });

  it('normalises the path and checks it', () => {
    expect(resolveOpsPageOptions({ guard, path: '/admin/cashlink/' }).path).toBe('admin/cashlink');
    expect(() => resolveOpsPageOptions({ guard, path: 'a b' })).toThrow(/opsPage\.path/);
  });

  it('refuses a short CSRF secret', () => {
    expect(() => resolveOpsPageOptions({ guard, csrfSecret: 'short' })).toThrow(/csrfSecret/);
  });

  it('takes the actor from the request the guard approved', () => {
    const { actor } = resolveOpsPageOptions({ guard });
    expect(actor({ user: { name: 'alice' } })).toBe('alice');
    expect(actor({})).toBe('ops-page');
  });
});

describe('ops page CSRF', () => {
  const csrf = new OpsCsrf(Buffer.alloc(32, 7));

  it("accepts the token of the browser's nonce only", () => {
    const nonce = csrf.newNonce();
    expect(csrf.verify(nonce, csrf.tokenFor(nonce))).toBe(true);
    expect(csrf.verify(csrf.newNonce(), csrf.tokenFor(nonce))).toBe(false);
    expect(csrf.verify(nonce, undefined)).toBe(false);
    expect(csrf.verify(undefined, csrf.tokenFor(nonce))).toBe(false);
    expect(csrf.verify(nonce, '')).toBe(false);
  });

  it('a token made with another secret is refused', () => {
    const nonce = csrf.newNonce();
    expect(csrf.verify(nonce, new OpsCsrf(Buffer.alloc(32, 8)).tokenFor(nonce))).toBe(false);
  });

  it('reads its cookie from a Cookie header', () => {
    expect(readCookie(`a=1; ${CSRF_COOKIE}=abc%3D; b=2`, CSRF_COOKIE)).toBe('abc=');
    expect(readCookie(undefined, CSRF_COOKIE)).toBeUndefined();
  });

  it('escapes HTML', () => {
    expect(esc(`<script>"x"&'y'</script>`)).toBe(
      '&lt;script&gt;&quot;x&quot;&amp;&#39;y&#39;&lt;/script&gt;',
    );
  });
});

describe('ops page mount', () => {
  it('links under the path the browser used, also behind a global prefix', () => {
    const Controller = createOpsPageController('admin/cashlink', [guard]);
    const controller = new Controller(
      {} as never,
      resolveOpsPageOptions({ guard, path: 'admin/cashlink' }),
    ) as unknown as { baseOf(req: { originalUrl?: string; headers: object }): string };
    const baseOf = (url: string) => controller.baseOf({ originalUrl: url, headers: {} });
    expect(baseOf('/admin/cashlink')).toBe('/admin/cashlink');
    expect(baseOf('/admin/cashlink/intents/k?reconcile=1')).toBe('/admin/cashlink');
    expect(baseOf('/api/v1/admin/cashlink/webhooks/x/redispatch')).toBe('/api/v1/admin/cashlink');
    expect(baseOf('/api/admin/cashlink?webhooks=dead')).toBe('/api/admin/cashlink');
  });
});
