import type { IncomingMessage, ServerResponse } from 'node:http';
import { EmulatorHttpError, detailError, readBody, sendJson } from './emulator-http';
import { isObject } from './emulator-validation';
import type {
  EmulatorControls,
  EmulatorFaultSpec,
  EmulatorInvestmentStatus,
  EmulatorReleaseOrder,
  EmulatorWebhookConfig,
} from './emulator.types';

import { CONTROL_PREFIX } from './emulator-request.handler';

type Handler = (emu: EmulatorControls, body: Record<string, unknown>, params: string[], url: URL) => unknown;

interface ControlRoute {
  method: string;
  pattern: RegExp;
  handler: Handler;
  status?: number;
}

const routes: ControlRoute[] = [
  {
    method: 'GET',
    pattern: /^$/,
    handler: (emu) => ({ baseUrl: emu.baseUrl, tokenUrl: emu.tokenUrl, clientId: emu.clientId }),
  },
  { method: 'GET', pattern: /^\/requests$/, handler: (emu) => emu.requests() },
  { method: 'GET', pattern: /^\/token-requests$/, handler: (emu) => ({ count: emu.tokenRequests() }) },
  { method: 'GET', pattern: /^\/investors$/, handler: (emu) => emu.investors() },
  { method: 'GET', pattern: /^\/investments$/, handler: (emu) => emu.investments() },
  { method: 'GET', pattern: /^\/documents$/, handler: (emu) => emu.documents() },
  { method: 'GET', pattern: /^\/identifications$/, handler: (emu) => emu.identifications() },
  { method: 'GET', pattern: /^\/wallets$/, handler: (emu) => emu.wallets() },
  { method: 'GET', pattern: /^\/products$/, handler: (emu) => emu.products() },
  { method: 'GET', pattern: /^\/campaigns$/, handler: (emu) => emu.campaigns() },
  { method: 'GET', pattern: /^\/effects$/, handler: (emu) => emu.effectsByIdempotencyKey() },
  {
    method: 'POST',
    pattern: /^\/idempotency\/forget$/,
    handler: (emu) => emu.forgetIdempotencyKeys(),
  },
  {
    method: 'POST',
    pattern: /^\/faults$/,
    status: 201,
    handler: (emu, body) => ({ id: emu.injectFault(body as unknown as EmulatorFaultSpec) }),
  },
  { method: 'DELETE', pattern: /^\/faults$/, handler: (emu) => emu.clearFaults() },
  { method: 'DELETE', pattern: /^\/faults\/([^/]+)$/, handler: (emu, _b, [id]) => emu.clearFaults(id) },
  { method: 'POST', pattern: /^\/tokens\/expire$/, handler: (emu) => emu.expireAllTokens() },
  {
    method: 'POST',
    pattern: /^\/investments\/([^/]+)\/status$/,
    handler: (emu, body, [id]) =>
      emu.setInvestmentStatus(id!, String(body.status), {
        cancellationReason:
          typeof body.cancellation_reason === 'string' ? body.cancellation_reason : undefined,
      }),
  },
  {
    method: 'POST',
    pattern: /^\/investments\/([^/]+)\/advance$/,
    handler: (emu, _b, [id]) => emu.advanceInvestment(id!),
  },
  {
    method: 'PUT',
    pattern: /^\/webhooks$/,
    handler: (emu, body) =>
      emu.configureWebhooks(
        Object.keys(body).length === 0 ? null : (body as unknown as EmulatorWebhookConfig),
      ),
  },
  { method: 'DELETE', pattern: /^\/webhooks$/, handler: (emu) => emu.configureWebhooks(null) },
  { method: 'GET', pattern: /^\/webhooks\/deliveries$/, handler: (emu) => emu.webhookDeliveries() },
  { method: 'POST', pattern: /^\/webhooks\/hold$/, handler: (emu) => emu.holdWebhooks() },
  {
    method: 'POST',
    pattern: /^\/webhooks\/release$/,
    handler: (emu, body) => {
      const order = (body.order ?? 'fifo') as EmulatorReleaseOrder;
      if (!['fifo', 'reverse', 'shuffle'].includes(order))
        throw new Error('order must be fifo, reverse or shuffle');
      // Answers at once; poll GET /webhooks/idle to wait for the deliveries.
      void emu.releaseWebhooks(order);
    },
  },
  {
    method: 'POST',
    pattern: /^\/webhooks\/duplicate$/,
    handler: (emu, body) => emu.duplicateWebhooks(typeof body.count === 'number' ? body.count : 1),
  },
  {
    method: 'GET',
    pattern: /^\/webhooks\/idle$/,
    handler: (emu, _b, _p, url) => {
      const raw = url.searchParams.get('timeoutMs');
      return emu.webhooksIdle(raw === null ? undefined : Number(raw)).then(() => ({ idle: true }));
    },
  },
  {
    method: 'POST',
    pattern: /^\/seed\/investments$/,
    status: 201,
    handler: (emu, body) => {
      const count = body.count;
      if (typeof count !== 'number' || !Number.isInteger(count) || count < 1) {
        throw new Error('count must be a positive integer');
      }
      const ids = emu.seedInvestments(count, {
        campaignId: typeof body.campaign_id === 'string' ? body.campaign_id : undefined,
        investorId: typeof body.investor_id === 'string' ? body.investor_id : undefined,
        units: typeof body.units === 'number' ? body.units : undefined,
        status: typeof body.status === 'string' ? (body.status as EmulatorInvestmentStatus) : undefined,
      });
      return { count: ids.length, first_id: ids[0], last_id: ids[ids.length - 1] };
    },
  },
  { method: 'POST', pattern: /^\/reset$/, handler: (emu) => emu.reset() },
];

/**
 * The control API over HTTP (`/__emulator/...`): the same as the in-process control methods, for an
 * emulator started with `npm run emulator`. Not authenticated: the emulator binds to loopback.
 * A control call that fails answers 400 `{"detail": ...}`.
 */
export async function handleControlRequest(
  emu: EmulatorControls,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): Promise<void> {
  const rest = url.pathname.slice(CONTROL_PREFIX.length).replace(/\/$/, '');
  const method = (req.method ?? 'GET').toUpperCase();
  try {
    const candidates = routes.filter((r) => r.pattern.test(rest));
    if (candidates.length === 0) throw detailError(404, 'Unknown control route.');
    const route = candidates.find((r) => r.method === method);
    if (!route) throw detailError(405, `Method "${method}" not allowed.`);
    const raw = await readBody(req, 1024 * 1024);
    let body: unknown = {};
    if (raw.length > 0) {
      try {
        body = JSON.parse(raw.toString('utf8')) as unknown;
      } catch {
        throw detailError(400, 'JSON parse error.');
      }
    }
    if (body === null) body = {};
    if (!isObject(body)) throw detailError(400, 'Send a JSON object.');
    let params: string[];
    try {
      params = route.pattern.exec(rest)!.slice(1).map(decodeURIComponent);
    } catch {
      throw detailError(400, 'Malformed percent-encoding in the path.');
    }
    let result: unknown;
    try {
      result = await route.handler(emu, body, params, url);
    } catch (error) {
      if (error instanceof EmulatorHttpError) throw error;
      throw detailError(400, error instanceof Error ? error.message : String(error));
    }
    sendJson(res, route.status ?? 200, result === undefined ? { ok: true } : result);
  } catch (error) {
    req.resume();
    if (error instanceof EmulatorHttpError) sendJson(res, error.status, error.body, error.headers);
    else sendJson(res, 500, { detail: 'Internal emulator error.' });
  }
}
