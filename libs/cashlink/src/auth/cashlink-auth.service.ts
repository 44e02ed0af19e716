import { HttpService } from '@nestjs/axios';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { CASHLINK_OPTIONS } from '../cashlink.constants';
import { CashlinkAuthenticationError } from '../errors/cashlink-api.error';
import { CashlinkNetworkError, CashlinkTimeoutError } from '../errors/cashlink.error';
import { createCashlinkApiError, parseBody } from '../errors/create-cashlink-api-error';
import { raceAbort } from '../http/abort';
import type { ResolvedCashlinkOptions } from '../options/cashlink-module-options.interface';

interface CachedToken {
  token: string;
  /** When to fetch a new one: the expiry minus the skew. */
  refreshAt: number;
}

/**
 * OAuth 2.0 client credentials for Cashlink. The token is cached until shortly before it expires;
 * concurrent callers share one token request (single flight). Tokens and secrets never reach a log
 * line or an error message.
 */
@Injectable()
export class CashlinkAuthService {
  private readonly logger = new Logger(CashlinkAuthService.name);
  private cached?: CachedToken;
  private inflight?: Promise<string>;

  constructor(
    @Inject(CASHLINK_OPTIONS) private readonly options: ResolvedCashlinkOptions,
    private readonly http: HttpService,
  ) {}

  /**
   * A valid access token: the cached one, or a new one. However many callers ask at once, one token
   * request is made and they all wait on it. `signal` lets one caller stop waiting (the shared request
   * goes on for the others). Throws `CashlinkAuthenticationError` (with the cause) when the request fails.
   */
  getAccessToken(signal?: AbortSignal): Promise<string> {
    const cached = this.cached;
    if (cached && Date.now() < cached.refreshAt) return Promise.resolve(cached.token);
    if (!this.inflight) {
      this.inflight = this.fetchToken().finally(() => {
        this.inflight = undefined;
      });
    }
    return raceAbort(this.inflight, signal);
  }

  /**
   * Forgets the cached token so that the next call fetches a new one. With `rejectedToken` (what the
   * HTTP client passes after a 401), only that token is dropped: when many calls fail with the same old
   * token at once, the first one's refetch is not thrown away by the others.
   */
  invalidate(rejectedToken?: string): void {
    if (rejectedToken === undefined || this.cached?.token === rejectedToken) this.cached = undefined;
  }

  private async fetchToken(): Promise<string> {
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
    let status: number;
    let text: string;
    let responseHeaders: Record<string, string | undefined>;
    try {
      const response = await this.http.axiosRef.request<string>({
        url: tokenUrl,
        method: 'POST',
        data: form.toString(),
        headers,
        signal: controller.signal,
        validateStatus: () => true,
        responseType: 'text',
        transformResponse: [(data: unknown) => data],
        maxRedirects: 0,
      });
      status = response.status;
      text = typeof response.data === 'string' ? response.data : '';
      responseHeaders = normaliseHeaders(response.headers as Record<string, unknown>);
    } catch (error) {
      // The axios error is not attached: its config holds the form body with the client secret.
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

    if (status < 200 || status >= 300) {
      const cause = createCashlinkApiError({ status, bodyText: text, headers: responseHeaders, ...details });
      const body = withoutToken(parseBody(text));
      const oauthError =
        body && typeof body === 'object' && typeof (body as { error?: unknown }).error === 'string'
          ? ` ("${String((body as { error: string }).error).slice(0, 60)}")`
          : '';
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
    // A skew longer than half the lifetime would make short-lived tokens useless; cap it.
    const skew = Math.min(auth.expirySkewMs, lifetimeMs / 2);
    this.cached = { token, refreshAt: startedAt + lifetimeMs - skew };
    this.logger.debug(`Obtained an access token valid for ${Math.round(lifetimeMs / 1000)} s`);
    return token;
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

/** Axios headers as a plain object with lower-case names and string values. */
export function normaliseHeaders(headers: Record<string, unknown>): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value === undefined || value === null) continue;
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
  }
  return out;
}
