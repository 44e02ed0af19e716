import { hkdfSync } from 'node:crypto';
import { inspect } from 'node:util';
import { BearerWebhookAuthenticator } from './bearer-webhook-authenticator';
import { constantTimeEquals, constantTimeIncludes } from './constant-time';
import { OAuth2WebhookTokenIssuer } from './oauth2-webhook-token.issuer';
import { extractBearerToken } from './webhook-authenticator';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);

describe('webhook authenticators', () => {
  it('keep their tokens, secrets and derived key out of inspect and JSON', async () => {
    const bearer = new BearerWebhookAuthenticator([A, B]);
    const issuer = new OAuth2WebhookTokenIssuer({
      clientId: 'cashlink',
      clientSecret: B,
      signingSecret: A,
      tokenTtlSeconds: 60,
    });
    const key = Buffer.from(hkdfSync('sha256', A, 'nestjs-cashlink', 'webhook-oauth2-access-token', 32));
    for (const object of [bearer, issuer]) {
      const shown = `${inspect(object, { depth: 10, showHidden: true })}\n${JSON.stringify(object)}`;
      expect(shown).not.toContain(A.slice(0, 10));
      expect(shown).not.toContain(B.slice(0, 10));
      expect(shown).not.toMatch(new RegExp(`${key[0]},\\s*${key[1]},\\s*${key[2]}`));
    }
    expect((await issuer.authenticate(`Bearer ${(await issuer.issue()).access_token}`)).ok).toBe(true);
  });

  it('compares secrets of any length', () => {
    expect(constantTimeEquals(A, A)).toBe(true);
    expect(constantTimeEquals(A, `${A}x`)).toBe(false);
    expect(constantTimeEquals('', A)).toBe(false);
    expect(constantTimeIncludes([A, B], B)).toBe(true);
    expect(constantTimeIncludes([A, B], 'c')).toBe(false);
  });

  it('extracts a bearer token only from a well-formed header', () => {
    expect(extractBearerToken(`Bearer ${A}`)).toBe(A);
    expect(extractBearerToken(`bearer   ${A}`)).toBe(A);
    expect(extractBearerToken(undefined)).toBeNull();
    expect(extractBearerToken(`Basic ${A}`)).toBeNull();
    expect(extractBearerToken(`Bearer ${A} extra`)).toBeNull();
  });

  it('bearer: accepts each configured token, distinguishes missing from wrong', async () => {
    const auth = new BearerWebhookAuthenticator([A, B]);
    expect(await auth.authenticate(`Bearer ${A}`)).toEqual({ ok: true });
    expect(await auth.authenticate(`Bearer ${B}`)).toEqual({ ok: true });
    expect(await auth.authenticate(undefined)).toEqual({ ok: false, failure: 'missing_token' });
    expect(await auth.authenticate(`Bearer ${A.slice(1)}`)).toEqual({ ok: false, failure: 'invalid_token' });
    expect(auth.challenge('missing_token')).toBe('Bearer realm="cashlink-webhooks"');
    expect(auth.challenge('invalid_token')).toBe('Bearer realm="cashlink-webhooks", error="invalid_token"');
  });

  describe('oauth2 token issuer', () => {
    const settings = { clientId: 'cashlink', clientSecret: A, signingSecret: A, tokenTtlSeconds: 60 };

    it('issues tokens that another instance with the same configuration accepts', async () => {
      const token = await new OAuth2WebhookTokenIssuer(settings).issue('webhooks');
      expect(token).toMatchObject({ token_type: 'Bearer', expires_in: 60, scope: 'webhooks' });
      expect(
        await new OAuth2WebhookTokenIssuer(settings).authenticate(`Bearer ${token.access_token}`),
      ).toEqual({ ok: true });
    });

    it('refuses expired tokens, tokens of another client or secret, and garbage', async () => {
      const issuer = new OAuth2WebhookTokenIssuer(settings);
      const expired = await issuer.issue(undefined, Date.now() - 61_000);
      const otherClient = await new OAuth2WebhookTokenIssuer({ ...settings, clientId: 'other' }).issue();
      const otherSecret = await new OAuth2WebhookTokenIssuer({ ...settings, signingSecret: B }).issue();
      for (const token of [
        expired.access_token,
        otherClient.access_token,
        otherSecret.access_token,
        'abc.def.ghi',
      ]) {
        expect(await issuer.authenticate(`Bearer ${token}`)).toEqual({ ok: false, failure: 'invalid_token' });
      }
    });

    it('checks client credentials', () => {
      const issuer = new OAuth2WebhookTokenIssuer(settings);
      expect(issuer.checkClient('cashlink', A)).toBe(true);
      expect(issuer.checkClient('cashlink', B)).toBe(false);
      expect(issuer.checkClient('other', A)).toBe(false);
    });
  });
});
