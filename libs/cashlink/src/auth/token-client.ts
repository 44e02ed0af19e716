import { Inject, Injectable } from '@nestjs/common';
import { CASHLINK_CLIENT_OPTIONS } from '../cashlink.constants';
import { CashlinkAuthenticationError } from '../errors/cashlink-api.error';
import { CashlinkNetworkError, CashlinkTimeoutError } from '../errors/cashlink.error';
import { createCashlinkApiError, parseBody } from '../errors/create-cashlink-api-error';
import { CashlinkTransport, type TransportResponse } from '../transport/cashlink-transport';
import type { ResolvedClientOptions } from '../options/client-options';

/** Largest token endpoint answer read (an OAuth token answer is well under 4 KiB, a JWT included). */
export const TOKEN_RESPONSE_MAX_BYTES = 64 * 1024;

/** A token fresh from the token endpoint. */
export interface FetchedToken {
  token: string;
  /** From `expires_in`, else `auth.defaultTokenLifetimeMs`. */
  lifetimeMs: number;
  /** When the request started (the lifetime counts from here). */
  startedAt: number;
}

/**
 * The OAuth 2.0 client-credentials request (one per call, no cache: `CashlinkAuthService` caches).
 * Internal: not exported from the package. Tokens and secrets never reach a log line or an error.
 */
@Injectable()
export class CashlinkTokenClient {
  constructor(
    @Inject(CASHLINK_CLIENT_OPTIONS) private readonly options: ResolvedClientOptions,
    private readonly transport: CashlinkTransport,
  ) {}

  /** Requests a token. Throws `CashlinkAuthenticationError` (with the cause) when it fails. */
  async fetch(): Promise<FetchedToken> {
    const { tokenUrl, clientId, clientSecret, scopes, tokenAuthMethod, auth } = this.options;
    const path = new URL(tokenUrl).pathname;
    const form = new URLSearchParams({ grant_type: 'client_credentials', scope: scopes.join(' ') });
    const headers: Record<string, string> = {
      'Content-Type': 'application/x-www-form-urlencoded',
      Accept: 'application/json',
    };
    if (tokenAuthMethod === 'basic') {
      // RFC 6749 §2.3.1: id and secret are form-encoded before they are joined for Basic.
      const pair = `${encodeFormComponent(clientId)}:${encodeFormComponent(clientSecret)}`;
      headers.Authorization = `Basic ${Buffer.from(pair).toString('base64')}`;
    } else {
      form.set('client_id', clientId);
      form.set('client_secret', clientSecret);
    }

    const details = { method: 'POST', path, body: undefined };
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, this.options.http.timeoutMs);
    const startedAt = Date.now();
    let response: TransportResponse;
    try {
      response = await this.transport.send({
        url: tokenUrl,
        method: 'POST',
        body: form.toString(),
        headers,
        signal: controller.signal,
        // A token answer is a few hundred bytes: a huge one is refused before it fills the memory.
        maxResponseBytes: TOKEN_RESPONSE_MAX_BYTES,
      });
    } catch (error) {
      // Only the code is kept: the transport's request held the form body with the client secret.
      const code = (error as { code?: string }).code ?? 'unknown';
      const cause = timedOut
        ? new CashlinkTimeoutError(
            `No answer from the token endpoint within ${this.options.http.timeoutMs} ms`,
            'POST',
            path,
          )
        : new CashlinkNetworkError(`The token endpoint could not be reached (${code})`, 'POST', path);
      throw new CashlinkAuthenticationError(
        `Could not obtain a Cashlink access token: ${cause.message}. Check tokenUrl and the network`,
        { ...details, status: 0 },
        { cause },
      );
    } finally {
      clearTimeout(timer);
    }

    const { status, text } = response;
    if (status < 200 || status >= 300) {
      const cause = createCashlinkApiError({ status, bodyText: text, headers: response.headers, ...details });
      const body = withoutToken(parseBody(text));
      // Only an RFC 6749 error code (e.g. invalid_client) is quoted, never a free text.
      const code = body && typeof body === 'object' ? (body as { error?: unknown }).error : undefined;
      const oauthError = typeof code === 'string' && /^[a-z_]{1,40}$/.test(code) ? ` (${code})` : '';
      throw new CashlinkAuthenticationError(
        `Cashlink's token endpoint answered ${status}${oauthError}. ` +
          (status >= 500 || status === 429
            ? 'It failed or is overloaded; the call is retried if it is safe to repeat'
            : `Check clientId, clientSecret, tokenUrl, scopes and tokenAuthMethod ('${tokenAuthMethod}')`),
        { ...details, status, body, requestId: cause.requestId },
        { cause },
      );
    }

    const parsed = parseBody(text) as { access_token?: unknown; expires_in?: unknown } | undefined;
    const token = parsed && typeof parsed === 'object' ? parsed.access_token : undefined;
    if (typeof token !== 'string' || token === '') {
      throw new CashlinkAuthenticationError(
        `Cashlink's token endpoint answered ${status} without an access_token. Check tokenUrl`,
        { ...details, status },
      );
    }
    const expiresIn = Number(parsed!.expires_in);
    const lifetimeMs =
      Number.isFinite(expiresIn) && expiresIn > 0 ? expiresIn * 1000 : auth.defaultTokenLifetimeMs;
    return { token, lifetimeMs, startedAt };
  }
}

function encodeFormComponent(value: string): string {
  return encodeURIComponent(value).replace(/%20/g, '+');
}

function withoutToken(body: unknown): unknown {
  if (!body || typeof body !== 'object' || Array.isArray(body))
    return typeof body === 'string' ? undefined : body;
  const { access_token: _dropped, refresh_token: _dropped2, ...rest } = body as Record<string, unknown>;
  return rest;
}
