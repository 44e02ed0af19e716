import { Inject, Injectable, Logger } from '@nestjs/common';
import { CASHLINK_CLIENT_OPTIONS } from '../cashlink.constants';
import { raceAbort } from '../transport/abort';
import type { ResolvedClientOptions } from '../options/client-options';
import { countTokenFetch } from '../telemetry/cashlink-telemetry';
import { CashlinkTokenClient } from './token-client';

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
  // A #private field: logging the service never shows the bearer token.
  #cached?: CachedToken;
  private inflight?: Promise<string>;

  constructor(
    @Inject(CASHLINK_CLIENT_OPTIONS) private readonly options: ResolvedClientOptions,
    // The request itself lives in an internal class: this public class's typings stay free of the transport.
    private readonly tokens: CashlinkTokenClient,
  ) {}

  /**
   * A valid access token: the cached one, or a new one. However many callers ask at once, one token
   * request is made and they all wait on it. `signal` lets one caller stop waiting (the shared request
   * goes on for the others). Throws `CashlinkAuthenticationError` (with the cause) when the request fails.
   */
  getAccessToken(signal?: AbortSignal): Promise<string> {
    const cached = this.#cached;
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
    if (rejectedToken === undefined || this.#cached?.token === rejectedToken) this.#cached = undefined;
  }

  private async fetchToken(): Promise<string> {
    const { token, lifetimeMs, startedAt } = await this.tokens.fetch().then(
      (fetched) => (countTokenFetch('success'), fetched),
      (error: unknown) => {
        countTokenFetch('failure');
        throw error;
      },
    );
    // A skew longer than half the lifetime would make short-lived tokens useless; cap it.
    const skew = Math.min(this.options.auth.expirySkewMs, lifetimeMs / 2);
    this.#cached = { token, refreshAt: startedAt + lifetimeMs - skew };
    this.logger.debug(`Obtained an access token valid for ${Math.round(lifetimeMs / 1000)} s`);
    return token;
  }
}
