import type { Readable } from 'node:stream';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { CASHLINK_CLIENT_OPTIONS, IDEMPOTENCY_KEY_HEADER, REQUEST_ID_HEADER } from '../cashlink.constants';
import { CashlinkAuthService } from '../auth/cashlink-auth.service';
import { CashlinkApiError, CashlinkUnreadableAnswerError } from '../errors/cashlink-api.error';
import { CashlinkAbortedError } from '../errors/cashlink-client.error';
import { CashlinkError, CashlinkNetworkError, CashlinkTimeoutError } from '../errors/cashlink.error';
import { createCashlinkApiError, parseBody } from '../errors/create-cashlink-api-error';
import type { ResolvedClientOptions } from '../options/client-options';
import { sleep } from '../transport/abort';
import { AttemptSignal } from '../transport/attempt-signal';
import { CashlinkTransport, headerValue, type TransportHeaders } from '../transport/cashlink-transport';
import { countRetry, errorType, startClientSpan } from '../telemetry/cashlink-telemetry';
import { buildMultipartBody, isReplayableMultipart, type MultipartPayload } from './multipart';
import { redactHeaders } from './redact-headers';
import { decideRetry, describeNoRetry } from './retry-policy';
import { logKey } from '../common/log-key';

/** Query parameters; `undefined` and `null` are left out, arrays repeat the name. */
export type CashlinkQuery = Record<
  string,
  string | number | boolean | null | undefined | readonly (string | number | boolean)[]
>;

/** One call to the Cashlink API. */
export interface CashlinkRequest {
  method: 'GET' | 'POST' | 'PATCH';
  /** Relative to the API base, e.g. `'/v2/investments/'`. Absolute URLs are refused. */
  path: string;
  query?: CashlinkQuery;
  json?: unknown;
  multipart?: MultipartPayload;
  /** Sent as `X-Idempotency-Key`; makes a write safe to retry. Identical on every retry. */
  idempotencyKey?: string;
  /** Deadline of one attempt. @default `http.timeoutMs` */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** @default `http.maxRetries` */
  maxRetries?: number;
}

/** A 2xx answer. */
export interface CashlinkResponse<T> {
  status: number;
  data: T;
  requestId?: string;
  /** Response headers as received (lower-case names; read one with `headerValue`). */
  headers: TransportHeaders;
}

const MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

/** A path that `new URL` would leave as it is: unreserved characters and slashes only. */
const SAFE_PATH = /^[A-Za-z0-9\-._~/]*$/;

/**
 * A path that passes `assertRelativePath` at a glance: one leading `/`, then segments of unreserved
 * characters that contain something other than dots (no `.` or `..` segment), each ending in `/` or the end.
 */
const CHECKED_PATH = /^\/(?:(?=[^/]*[^./])[A-Za-z0-9\-._~]+(?:\/|$))*$/;

const IDEMPOTENCY_KEY = IDEMPOTENCY_KEY_HEADER.toLowerCase();

/** Thrown inside one attempt so that the loop can tell the caller's abort from our timeout. */
const TIMEOUT = Symbol('timeout');

/**
 * The transport: adds the bearer token, enforces timeouts and the caller's `AbortSignal`, retries
 * what is safe to repeat, and turns every failure into the library's own errors (no low-level HTTP
 * error leaves this class: such errors can carry the request headers, bearer token included).
 */
@Injectable()
export class CashlinkHttpClient {
  private readonly logger = new Logger(CashlinkHttpClient.name);

  constructor(
    @Inject(CASHLINK_CLIENT_OPTIONS) private readonly options: ResolvedClientOptions,
    private readonly transport: CashlinkTransport,
    private readonly auth: CashlinkAuthService,
  ) {}

  /**
   * Sends `req` and returns its 2xx answer, parsed. Throws the library's errors; a 2xx whose body is
   * not JSON throws `CashlinkUnreadableAnswerError` (for a write: Cashlink accepted it, so it must not
   * be resent with a new key), never retried. An empty 2xx body is `data: undefined`.
   */
  async request<T>(req: CashlinkRequest): Promise<CashlinkResponse<T>> {
    assertRelativePath(req.path);
    const url = this.buildUrl(req.path, req.query);
    const safeToRepeat = req.method === 'GET' || req.idempotencyKey !== undefined;
    const bodyReplayable = req.multipart ? isReplayableMultipart(req.multipart) : true;
    // The retry settings of this call, needed only once an attempt fails.
    const settings =
      req.maxRetries == null ? this.options.http : { ...this.options.http, maxRetries: req.maxRetries };
    let retries = 0;
    let replayedAfter401 = false;
    let bodyConsumed = false;

    for (;;) {
      if (req.signal?.aborted)
        throw new CashlinkAbortedError(req.method, req.path, { cause: req.signal.reason });
      let token: string;
      try {
        token = await this.auth.getAccessToken(req.signal);
      } catch (error) {
        if (req.signal?.aborted) throw new CashlinkAbortedError(req.method, req.path);
        // A token failure happens before the API request is sent, so a retry is safe for any method.
        const decision = decideRetry({
          error,
          retriesSoFar: retries,
          safeToRepeat: true,
          bodyReplayable: true,
          settings,
        });
        if (!decision.retry) throw error;
        retries++;
        countRetry(req.method, req.path, 'token');
        this.logger.warn(
          `Token request failed; retry ${retries} of ${req.method} ${req.path} in ${decision.delayMs} ms`,
        );
        await this.wait(decision.delayMs, req);
        continue;
      }

      if (bodyConsumed && !bodyReplayable) {
        // Only reachable through a 401 replay; decideRetry stops other retries of stream uploads earlier.
        throw new CashlinkError(
          `${req.method} ${req.path} needed a new access token, but its upload came from a stream, which cannot be ` +
            're-read; nothing more was sent. Pass a Buffer or a file path to make uploads retryable.',
        );
      }
      bodyConsumed = true;
      const outcome = await this.attempt<T>(req, url, token, retries);
      if (outcome.ok) return outcome.response;
      const error = outcome.error;

      // 401 with a token we believed valid: it expired early or was revoked. Cashlink did nothing
      // with the request, so replaying it once with a fresh token is safe even without a key.
      if (error instanceof CashlinkApiError && error.status === 401 && !replayedAfter401) {
        replayedAfter401 = true;
        this.auth.invalidate(token);
        this.logger.debug(`401 on ${req.method} ${req.path}: token refreshed, replaying once`);
        continue;
      }
      if (error instanceof CashlinkAbortedError) throw error;

      const decision = decideRetry({ error, retriesSoFar: retries, safeToRepeat, bodyReplayable, settings });
      if (!decision.retry) {
        const note = describeNoRetry(decision.reason);
        if (note && error instanceof Error) error.message = `${error.message}. ${note}`;
        throw error;
      }
      retries++;
      countRetry(
        req.method,
        req.path,
        error instanceof CashlinkApiError ? String(error.status) : errorType(error),
      );
      this.logger.warn(
        `${req.method} ${req.path} failed (${describe(error)}); retry ${retries}/${settings.maxRetries} in ${decision.delayMs} ms` +
          (req.idempotencyKey ? ` with the same idempotency key (${logKey(req.idempotencyKey)})` : ''),
      );
      await this.wait(decision.delayMs, req);
    }
  }

  private async wait(ms: number, req: CashlinkRequest): Promise<void> {
    try {
      await sleep(ms, req.signal);
    } catch {
      throw new CashlinkAbortedError(req.method, req.path, { cause: req.signal?.reason });
    }
  }

  private async attempt<T>(
    req: CashlinkRequest,
    url: string,
    token: string,
    retries: number,
  ): Promise<{ ok: true; response: CashlinkResponse<T> } | { ok: false; error: unknown }> {
    const timeoutMs = req.timeoutMs ?? this.options.http.timeoutMs;
    const signal = new AttemptSignal();
    const timer = setTimeout(() => signal.abort(TIMEOUT), timeoutMs);
    const onCallerAbort = (): void => signal.abort(req.signal?.reason);
    req.signal?.addEventListener('abort', onCallerAbort, { once: true });

    // Lower-case names: undici looks each name up in its table of known headers, a lower-case one directly.
    const headers: Record<string, string> = { authorization: `Bearer ${token}`, accept: 'application/json' };
    if (req.idempotencyKey !== undefined) headers[IDEMPOTENCY_KEY] = req.idempotencyKey;
    let data: string | Readable | undefined;
    let bodyFailure: { error?: Error } | undefined;
    try {
      if (req.multipart) {
        const built = await buildMultipartBody(req.multipart, this.options.documents.maxSizeBytes);
        data = built.body;
        bodyFailure = built.failure;
        headers['content-type'] = built.contentType;
        if (built.contentLength !== undefined) headers['content-length'] = String(built.contentLength);
      } else if (req.json !== undefined) {
        data = JSON.stringify(req.json);
        headers['content-type'] = 'application/json';
      }
    } catch (error) {
      clearTimeout(timer);
      req.signal?.removeEventListener('abort', onCallerAbort);
      return { ok: false, error };
    }

    const started = Date.now();
    // The header dump is built only when someone reads it: a read is cheap, and this string is not.
    if (Logger.isLevelEnabled('verbose')) {
      this.logger.verbose(
        `${req.method} ${req.path} sending, headers ${JSON.stringify(redactHeaders(headers))}` +
          (retries > 0 ? ` (retry ${retries})` : ''),
      );
    }
    const span = startClientSpan({ method: req.method, path: req.path, url, resendCount: retries });
    let spanResult: { status?: number; requestId?: string; error?: unknown } = {};
    try {
      // The transport follows no redirect: one could carry the bearer token to another host.
      const response = await this.transport.send({
        url,
        method: req.method,
        headers,
        body: data,
        signal,
        // Cashlink's answers are small JSON; a runaway body must not exhaust memory.
        maxResponseBytes: MAX_RESPONSE_BYTES,
      });
      const { headers: responseHeaders, text } = response;
      const requestId = headerValue(responseHeaders, REQUEST_ID_HEADER) || undefined;
      spanResult = { status: response.status, requestId };
      if (Logger.isLevelEnabled('debug')) {
        this.logger.debug(
          `${req.method} ${req.path} -> ${response.status} in ${Date.now() - started} ms` +
            (retries > 0 ? ` (retry ${retries})` : '') +
            (requestId ? ` request id ${requestId}` : ''),
        );
      }
      if (response.status >= 200 && response.status < 300) {
        const parsed = parseBody(text);
        if (typeof parsed === 'string') {
          // A 2xx is a success at Cashlink even when its body is unreadable: never an ordinary failure
          // (a caller would resend with a new key and create a second object), never retried here.
          return {
            ok: false,
            error: new CashlinkUnreadableAnswerError({
              status: response.status,
              requestId,
              method: req.method,
              path: req.path,
              idempotencyKey: req.idempotencyKey,
            }),
          };
        }
        return {
          ok: true,
          response: { status: response.status, data: parsed as T, requestId, headers: responseHeaders },
        };
      }
      return {
        ok: false,
        error: createCashlinkApiError({
          status: response.status,
          bodyText: text,
          headers: responseHeaders,
          method: req.method,
          path: req.path,
          idempotencyKey: req.idempotencyKey,
        }),
      };
    } catch (error) {
      spanResult = { error: bodyFailure?.error ?? error };
      if (bodyFailure?.error) return { ok: false, error: bodyFailure.error };
      if (signal.aborted && signal.reason === TIMEOUT) {
        return {
          ok: false,
          error: new CashlinkTimeoutError(
            `No answer to ${req.method} ${req.path} within ${timeoutMs} ms` + writeHint(req),
            req.method,
            req.path,
          ),
        };
      }
      if (req.signal?.aborted) {
        return {
          ok: false,
          error: new CashlinkAbortedError(req.method, req.path, { cause: req.signal.reason }),
        };
      }
      // The transport keeps only the error code: the low-level error held the request headers (bearer token).
      const code = (error as { code?: string }).code ?? 'unknown';
      return {
        ok: false,
        error: new CashlinkNetworkError(
          `The connection for ${req.method} ${req.path} failed before an answer arrived (${code})` +
            writeHint(req),
          req.method,
          req.path,
        ),
      };
    } finally {
      span.end(spanResult);
      clearTimeout(timer);
      req.signal?.removeEventListener('abort', onCallerAbort);
    }
  }

  private buildUrl(path: string, query: CashlinkQuery | undefined): string {
    // A checked path of unreserved characters needs no parsing: the URL would serialise it unchanged.
    if (query === undefined && SAFE_PATH.test(path)) return `${this.options.baseUrl}${path}`;
    const url = new URL(`${this.options.baseUrl}${path}`);
    for (const [name, value] of Object.entries(query ?? {})) {
      if (value === undefined || value === null) continue;
      if (Array.isArray(value)) for (const item of value) url.searchParams.append(name, String(item));
      else url.searchParams.set(name, String(value));
    }
    return url.href;
  }
}

function writeHint(req: CashlinkRequest): string {
  return req.method === 'GET' ? '' : '; Cashlink may or may not have processed it';
}

function describe(error: unknown): string {
  if (error instanceof CashlinkApiError) return `${error.status}`;
  if (error instanceof CashlinkTimeoutError) return 'timeout';
  if (error instanceof CashlinkError) return error.name;
  return 'error';
}

/** Paths are relative to the configured base: an absolute URL could send the token elsewhere. */
function assertRelativePath(path: string): void {
  // The common case (the resources' own paths): one regex, no split.
  if (typeof path === 'string' && CHECKED_PATH.test(path)) return;
  if (typeof path !== 'string' || !path.startsWith('/') || path.startsWith('//') || /[\s#?]/.test(path)) {
    throw new TypeError(
      `Cashlink request paths are relative to the API base and start with one '/', e.g. '/v2/investors/'`,
    );
  }
  if (path.split('/').some((segment) => segment === '..' || segment === '.')) {
    throw new TypeError('Cashlink request paths must not contain dot segments');
  }
}
