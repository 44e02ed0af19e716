import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ApiResult, ApiRoute, UploadedFile } from './emulator-api.routes';
import { TOKEN_ROUTE, type EmulatorFaults, type FiredFault } from './emulator-faults';
import { EmulatorHttpError, detailError, nowMs, parseJsonBody, readBody, sendJson } from './emulator-http';
import {
  fileFingerprint,
  jsonFingerprint,
  type EmulatorIdempotencyStore,
} from './emulator-idempotency.store';
import { parseUpload } from './emulator-multipart';
import type { EmulatorOAuth } from './emulator-oauth';
import type { EmulatorRequestLog } from './emulator-request.log';
import type { EmulatorRequestLogEntry } from './emulator.types';

/** Path of the API base on the emulator's origin (as on Cashlink's hosts). */
export const EMULATOR_API_BASE_PATH = '/api/external/distributor';
/** Path of the token endpoint on the emulator's origin. */
export const EMULATOR_TOKEN_PATH = '/api/external/oauth/token';
/** Prefix of the control API; no real Cashlink client calls it. */
export const CONTROL_PREFIX = '/__emulator';

/** What the request pipeline works with. */
export interface EmulatorRequestHandlerDeps {
  origin: string;
  settings: { maxJsonBodyBytes: number; maxDocumentBytes: number };
  oauth: EmulatorOAuth;
  faults: EmulatorFaults;
  idempotency: EmulatorIdempotencyStore;
  routes: readonly ApiRoute[];
  log: EmulatorRequestLog;
  /** Handles `/__emulator/...`. */
  control: (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void>;
  /** Aborted on close: pending delays end at once. */
  closing: AbortSignal;
}

/**
 * The request pipeline of the API and the token endpoint: route match, faults, bearer token and scope,
 * body (JSON or multipart), `X-Idempotency-Key`, the handler, the answer or a dropped connection, and
 * the request log entry for each step.
 */
export class EmulatorRequestHandler {
  constructor(private readonly deps: EmulatorRequestHandlerDeps) {}

  /** Handles one request; never rejects for a request's own fault. */
  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', this.deps.origin);
    } catch {
      req.resume();
      const entry = this.deps.log.start((req.method ?? 'GET').toUpperCase(), req.url ?? '');
      return this.answer(res, entry, 400, { detail: 'Malformed request target.' });
    }
    const path = url.pathname;
    if (path === CONTROL_PREFIX || path.startsWith(`${CONTROL_PREFIX}/`)) {
      return this.deps.control(req, res, url);
    }
    const method = (req.method ?? 'GET').toUpperCase();
    const entry = this.deps.log.start(method, path);
    try {
      if (path === EMULATOR_TOKEN_PATH) {
        entry.path = '/oauth/token';
        await this.handleToken(req, res, entry);
      } else if (path.startsWith(`${EMULATOR_API_BASE_PATH}/`)) {
        entry.path = path.slice(EMULATOR_API_BASE_PATH.length);
        await this.handleApi(req, res, url, entry);
      } else {
        req.resume();
        this.answer(res, entry, 404, { detail: 'Not found.' });
      }
    } catch (error) {
      req.resume();
      if (error instanceof EmulatorHttpError)
        this.answer(res, entry, error.status, error.body, error.headers);
      else this.answer(res, entry, 500, { detail: 'Internal emulator error.' });
    }
  }

  private answer(
    res: ServerResponse,
    entry: EmulatorRequestLogEntry,
    status: number,
    body: unknown,
    headers?: Record<string, string>,
  ): void {
    entry.status = status;
    entry.endedAt = nowMs();
    sendJson(res, status, body, headers);
  }

  private drop(res: ServerResponse, entry: EmulatorRequestLogEntry): void {
    entry.status = 'dropped';
    entry.endedAt = nowMs();
    res.socket?.destroy();
    res.destroy();
  }

  /** Applies `server_error` / `rate_limit` at once; returns true when the request was answered. */
  private answerFault(
    req: IncomingMessage,
    res: ServerResponse,
    entry: EmulatorRequestLogEntry,
    fault: FiredFault,
  ): boolean {
    if (fault.kind === 'server_error') {
      req.resume();
      this.answer(res, entry, fault.status, { detail: 'Service temporarily unavailable (injected fault).' });
      return true;
    }
    if (fault.kind === 'rate_limit') {
      req.resume();
      this.answer(
        res,
        entry,
        429,
        { detail: `Request was throttled. Expected available in ${fault.retryAfterSeconds} seconds.` },
        { 'Retry-After': String(fault.retryAfterSeconds) },
      );
      return true;
    }
    return false;
  }

  private async pause(ms: number): Promise<void> {
    const closing = this.deps.closing;
    await new Promise<void>((resolve) => {
      // The listener is removed when the pause ends: delayed requests must not pile listeners onto
      // the emulator-wide signal.
      const onClose = (): void => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        closing.removeEventListener('abort', onClose);
        resolve();
      }, ms);
      closing.addEventListener('abort', onClose, { once: true });
    });
  }

  private async handleToken(
    req: IncomingMessage,
    res: ServerResponse,
    entry: EmulatorRequestLogEntry,
  ): Promise<void> {
    this.deps.oauth.countRequest();
    entry.route = TOKEN_ROUTE;
    if (entry.method !== 'POST') {
      req.resume();
      return this.answer(
        res,
        entry,
        405,
        { detail: `Method "${entry.method}" not allowed.` },
        { Allow: 'POST' },
      );
    }
    const fault = this.deps.faults.take(TOKEN_ROUTE);
    if (fault) entry.fault = fault.kind;
    if (fault && this.answerFault(req, res, entry, fault)) return;
    const raw = await readBody(req, this.deps.settings.maxJsonBodyBytes);
    if (fault?.kind === 'delay') await this.pause(fault.delayMs);
    const body = this.deps.oauth.issue(req, raw);
    if (fault?.kind === 'drop_after_work') return this.drop(res, entry);
    this.answer(res, entry, 200, body, { 'Cache-Control': 'no-store' });
  }

  private async handleApi(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    entry: EmulatorRequestLogEntry,
  ): Promise<void> {
    const matching = this.deps.routes.filter((r) => r.regex.test(entry.path));
    if (matching.length === 0) {
      req.resume();
      return this.answer(res, entry, 404, { detail: 'Not found.' });
    }
    const route = matching.find((r) => r.method === entry.method);
    if (!route) {
      req.resume();
      const allow = matching
        .map((r) => r.method)
        .sort()
        .join(', ');
      return this.answer(
        res,
        entry,
        405,
        { detail: `Method "${entry.method}" not allowed.` },
        { Allow: allow },
      );
    }
    entry.route = `${route.method} ${route.template}`;
    let params: string[];
    try {
      params = route.regex.exec(entry.path)!.slice(1).map(decodeURIComponent);
    } catch {
      req.resume();
      return this.answer(res, entry, 400, { detail: 'Malformed percent-encoding in the path.' });
    }

    // The key is logged before any fault answers, so tests can follow one key through injected failures.
    const header = req.headers['x-idempotency-key'];
    const key = route.method === 'GET' ? undefined : Array.isArray(header) ? header[0] : header;
    if (key !== undefined) entry.idempotencyKey = key;

    const fault = this.deps.faults.take(entry.route);
    if (fault) entry.fault = fault.kind;
    if (fault && this.answerFault(req, res, entry, fault)) return;

    this.deps.oauth.authorize(req, route.scope);

    let body: unknown;
    let file: UploadedFile | undefined;
    let fingerprint: string;
    if (route.body === 'multipart') {
      file = await parseUpload(req, this.deps.settings.maxDocumentBytes);
      fingerprint = fileFingerprint(route.method, entry.path, file?.sha256 ?? '', file?.filename ?? '');
    } else {
      const raw = await readBody(req, this.deps.settings.maxJsonBodyBytes);
      if (route.body !== 'none') body = parseJsonBody(req, raw, route.body === 'optional-json');
      fingerprint = jsonFingerprint(route.method, entry.path, body);
    }

    if (key !== undefined) {
      const decision = this.deps.idempotency.begin(key, fingerprint);
      if (decision.kind === 'conflict') {
        const detail =
          decision.reason === 'in_flight'
            ? 'A request with this idempotency key is still being processed; retry later.'
            : 'This idempotency key was already used for a different request.';
        throw detailError(409, detail);
      }
      if (decision.kind === 'replay') {
        entry.replayed = true;
        if (fault?.kind === 'delay') await this.pause(fault.delayMs);
        if (fault?.kind === 'drop_after_work') return this.drop(res, entry);
        return this.answer(res, entry, decision.status, decision.body);
      }
    }

    let result: ApiResult;
    try {
      if (fault?.kind === 'delay') await this.pause(fault.delayMs);
      result = route.handle({
        params,
        query: url.searchParams,
        body,
        file,
        absolutePath: `${this.requestOrigin(req)}${url.pathname}`,
      });
    } catch (error) {
      if (!(error instanceof EmulatorHttpError)) {
        if (key !== undefined) this.deps.idempotency.abandon(key);
        throw error;
      }
      result = { status: error.status, body: error.body, effect: false };
    }
    if (key !== undefined) {
      // Stored before the answer is written: a lost answer must still replay on the next try.
      this.deps.idempotency.complete(key, result.status, result.body);
      if (result.effect) this.deps.idempotency.countEffect(key);
    }
    entry.effect = result.effect;
    if (fault?.kind === 'drop_after_work') return this.drop(res, entry);
    this.answer(res, entry, result.status, result.body);
  }

  /**
   * The origin the client used (its Host header), as DRF builds absolute URLs: a client that talks to
   * `localhost` gets `next` links on `localhost`, so that its same-origin check passes.
   */
  private requestOrigin(req: IncomingMessage): string {
    const host = req.headers.host;
    return host !== undefined && /^[A-Za-z0-9.-]+(:\d+)?$|^\[[0-9A-Fa-f:.]+\](:\d+)?$/.test(host)
      ? `http://${host}`
      : this.deps.origin;
  }
}
