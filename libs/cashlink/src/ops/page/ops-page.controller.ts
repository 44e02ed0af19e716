import { Controller, Get, Inject, Param, Post, Query, Req, Res, type Type, UseGuards } from '@nestjs/common';
import type { CanActivate } from '@nestjs/common';
import { CashlinkError } from '../../errors/cashlink.error';
import { CASHLINK_INTENT_STATES, type CashlinkIntentState } from '../../idempotency/cashlink-intent.entity';
import {
  CashlinkIntentNotAwaitingResolutionError,
  CashlinkIntentNotFoundError,
  CashlinkReconcileCandidateError,
  CashlinkReconcileUnsupportedError,
  CashlinkResolutionInputError,
} from '../../idempotency/cashlink-reconciliation.error';
import type { CashlinkResolutionInput } from '../../idempotency/cashlink-reconciliation.types';
import type { WebhookInboxState } from '../../webhooks/webhook-inbox.entity';
import { CashlinkOpsService, WEBHOOK_STATES } from '../cashlink-ops.service';
import { CSRF_COOKIE, OpsCsrf, readCookie } from './ops-page.csrf';
import { dashboard, esc, intentDetail, page, webhookDetail } from './ops-page.html';
import type { ResolvedOpsPageOptions } from './ops-page.options';

/** Injection token of the resolved page options. */
export const OPS_PAGE_OPTIONS = Symbol('CASHLINK_OPS_PAGE_OPTIONS');

/** What the page reads of a request (Express, or Fastify's request). */
interface PageRequest {
  headers: Record<string, string | string[] | undefined>;
  originalUrl?: string;
  url?: string;
  body?: unknown;
  secure?: boolean;
  protocol?: string;
}

/** What the page writes on a response (Express's, or the raw Node response behind Fastify's reply). */
interface PageResponse {
  raw?: PageResponse;
  /** Fastify's reply: the page writes the raw response itself, so Fastify must not send one too. */
  hijack?: () => void;
  statusCode: number;
  setHeader(name: string, value: string | string[]): unknown;
  end(body?: string): unknown;
}

/**
 * Security headers of every page: no script at all (the page needs none), no framing, forms only to
 * this origin, nothing cached or leaked in a Referer.
 */
const HEADERS: Record<string, string> = {
  'Content-Type': 'text/html; charset=utf-8',
  'Content-Security-Policy':
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
};

function statusOf(error: unknown): number {
  if (error instanceof CashlinkIntentNotFoundError) return 404;
  if (error instanceof CashlinkIntentNotAwaitingResolutionError) return 409;
  if (
    error instanceof CashlinkResolutionInputError ||
    error instanceof CashlinkReconcileCandidateError ||
    error instanceof CashlinkReconcileUnsupportedError
  ) {
    return 422;
  }
  return 502;
}

/** The page's controller at `options.path`, behind `guards` (built once per `forRoot`). */
export function createOpsPageController(path: string, guards: Array<Type<CanActivate> | CanActivate>): Type {
  @Controller(path)
  @UseGuards(...guards)
  class CashlinkOpsPageController {
    private readonly csrf: OpsCsrf;

    constructor(
      private readonly ops: CashlinkOpsService,
      @Inject(OPS_PAGE_OPTIONS) private readonly options: ResolvedOpsPageOptions,
    ) {
      this.csrf = new OpsCsrf(options.csrfSecret);
    }

    @Get()
    async dashboard(
      @Req() req: PageRequest,
      @Res() res: PageResponse,
      @Query() query: Record<string, string | undefined>,
    ): Promise<void> {
      const csrf = this.csrfToken(req, res);
      const intentState = CASHLINK_INTENT_STATES.includes(query.intents as CashlinkIntentState)
        ? (query.intents as CashlinkIntentState)
        : undefined;
      const webhookState = WEBHOOK_STATES.includes(query.webhooks as WebhookInboxState)
        ? (query.webhooks as WebhookInboxState)
        : undefined;
      const counts = await this.ops.counts();
      // Without a filter: what waits for a person.
      const intents = intentState
        ? await this.ops.listIntents({ state: intentState, limit: 100 })
        : [
            ...(await this.ops.listIntents({ state: 'expired', limit: 50 })),
            ...(await this.ops.listIntents({ state: 'needs_review', limit: 50 })),
          ];
      const webhooks = !this.ops.hasWebhooks
        ? []
        : webhookState
          ? await this.ops.listWebhooks({ state: webhookState, limit: 100 })
          : [
              ...(await this.ops.listWebhooks({ state: 'dead', limit: 50 })),
              ...(await this.ops.listWebhooks({ state: 'quarantined', limit: 50 })),
            ];
      const deliveries = this.ops.hasEvents
        ? await this.ops.listDeliveries({ state: 'dead', limit: 100 })
        : undefined;
      const body = dashboard(
        this.baseOf(req),
        counts,
        intents,
        webhooks,
        { intents: intentState, webhooks: webhookState },
        csrf,
        this.ops.hasWebhooks,
        deliveries,
      );
      this.send(res, 200, page(this.baseOf(req), 'Overview', body, query.done));
    }

    @Get('intents/:key')
    async intent(
      @Req() req: PageRequest,
      @Res() res: PageResponse,
      @Param('key') key: string,
      @Query() query: Record<string, string | undefined>,
    ): Promise<void> {
      const csrf = this.csrfToken(req, res);
      const intent = await this.ops.showIntent(key);
      if (!intent) return this.fail(req, res, new CashlinkIntentNotFoundError(key));
      let reconciliation = null;
      let problem = '';
      if (query.reconcile === '1' && (intent.state === 'expired' || intent.state === 'needs_review')) {
        try {
          reconciliation = await this.ops.reconcile(key);
        } catch (error) {
          problem = `<p class="error">The lookup at Cashlink failed: ${esc((error as Error).message)}</p>`;
        }
      }
      this.send(
        res,
        200,
        page(
          this.baseOf(req),
          `Intent ${key}`,
          problem + intentDetail(this.baseOf(req), intent, reconciliation, csrf),
          query.done,
        ),
      );
    }

    @Get('webhooks/:id')
    async webhook(
      @Req() req: PageRequest,
      @Res() res: PageResponse,
      @Param('id') id: string,
      @Query() query: Record<string, string | undefined>,
    ): Promise<void> {
      const csrf = this.csrfToken(req, res);
      const row = await this.ops.showWebhook(id);
      if (!row)
        return this.send(
          res,
          404,
          page(this.baseOf(req), 'Not found', '<p class="error">No such webhook row.</p>'),
        );
      this.send(
        res,
        200,
        page(this.baseOf(req), `Webhook ${id}`, webhookDetail(this.baseOf(req), row, csrf), query.done),
      );
    }

    @Post('intents/:key/resolve')
    async resolve(
      @Req() req: PageRequest,
      @Res() res: PageResponse,
      @Param('key') key: string,
    ): Promise<void> {
      const form = this.checkPost(req, res);
      if (!form) return;
      const actor = this.options.actor(req);
      const reason = typeof form.reason === 'string' ? form.reason : '';
      const action = form.action;
      const input = (
        action === 'created'
          ? { action, objectId: String(form.objectId ?? ''), actor, reason }
          : { action, actor, reason }
      ) as CashlinkResolutionInput;
      try {
        const result = await this.ops.resolve(key, input);
        const done =
          `Resolved as ${result.resolution.action} by ${result.resolution.actor}: now ${result.state}` +
          (result.newIntent ? `; sent again as ${result.newIntent.key}: ${result.newIntent.state}` : '');
        this.redirect(
          res,
          `${this.baseOf(req)}/intents/${encodeURIComponent(key)}?done=${encodeURIComponent(done)}`,
        );
      } catch (error) {
        this.fail(req, res, error);
      }
    }

    @Post('events/:eventId/redispatch')
    async redispatchDelivery(
      @Req() req: PageRequest,
      @Res() res: PageResponse,
      @Param('eventId') eventId: string,
    ): Promise<void> {
      const form = this.checkPost(req, res);
      if (!form) return;
      const handler = typeof form.handler === 'string' ? form.handler : '';
      const id = /^\d+$/.test(eventId) ? Number(eventId) : NaN;
      const count =
        handler && Number.isSafeInteger(id)
          ? await this.ops.redispatchDeliveries({ eventId: id, handler })
          : 0;
      if (count === 0) {
        return this.send(
          res,
          409,
          page(
            this.baseOf(req),
            'Nothing changed',
            '<p class="error">No such delivery of that event to that handler; nothing was changed.</p>',
          ),
        );
      }
      this.redirect(
        res,
        `${this.baseOf(req)}?done=${encodeURIComponent(`Replaying event ${id} for ${handler}`)}`,
      );
    }

    @Post('webhooks/redispatch-dead')
    async redispatchDead(@Req() req: PageRequest, @Res() res: PageResponse): Promise<void> {
      if (!this.checkPost(req, res)) return;
      const count = await this.ops.redispatch({ state: 'dead' });
      this.redirect(res, `${this.baseOf(req)}?done=${encodeURIComponent(`Replaying ${count} dead rows`)}`);
    }

    @Post('webhooks/:id/redispatch')
    async redispatch(
      @Req() req: PageRequest,
      @Res() res: PageResponse,
      @Param('id') id: string,
    ): Promise<void> {
      if (!this.checkPost(req, res)) return;
      const count = await this.ops.redispatch(id);
      if (count === 0) {
        return this.send(
          res,
          409,
          page(
            this.baseOf(req),
            'Nothing changed',
            '<p class="error">That row is not dead or processed; nothing was changed.</p>',
          ),
        );
      }
      this.redirect(res, `${this.baseOf(req)}?done=${encodeURIComponent(`Replaying webhook row ${id}`)}`);
    }

    /** The form's CSRF token; sets the browser's nonce cookie when it has none. */
    private csrfToken(req: PageRequest, res: PageResponse): string {
      let nonce = readCookie(req.headers.cookie, CSRF_COOKIE);
      if (!nonce || !/^[A-Za-z0-9_-]{43}$/.test(nonce)) {
        nonce = this.csrf.newNonce();
        const secure = req.secure === true || req.protocol === 'https' ? '; Secure' : '';
        this.raw(res).setHeader(
          'Set-Cookie',
          `${CSRF_COOKIE}=${nonce}; Path=${this.baseOf(req)}; HttpOnly; SameSite=Strict${secure}`,
        );
      }
      return this.csrf.tokenFor(nonce);
    }

    /**
     * A POST is taken only with the token of this browser's cookie, from this origin (when the browser
     * says), and confirmed: anything else is refused with 403 and changes nothing.
     */
    private checkPost(req: PageRequest, res: PageResponse): Record<string, unknown> | null {
      const form = (typeof req.body === 'object' && req.body !== null ? req.body : {}) as Record<
        string,
        unknown
      >;
      const origin = req.headers.origin;
      const host = req.headers.host;
      const crossOrigin =
        typeof origin === 'string' &&
        origin !== 'null' &&
        typeof host === 'string' &&
        new URL(origin).host !== host;
      if (crossOrigin || !this.csrf.verify(readCookie(req.headers.cookie, CSRF_COOKIE), form._csrf)) {
        this.send(
          res,
          403,
          page(
            this.baseOf(req),
            'Refused',
            '<p class="error">Refused: the form token is missing or wrong (CSRF). Reload the page and try again.</p>',
          ),
        );
        return null;
      }
      if (form.confirm !== 'yes') {
        this.send(
          res,
          400,
          page(this.baseOf(req), 'Not confirmed', '<p class="error">Tick the confirmation box to act.</p>'),
        );
        return null;
      }
      return form;
    }

    private fail(req: PageRequest, res: PageResponse, error: unknown): void {
      if (!(error instanceof CashlinkError)) throw error;
      this.send(
        res,
        statusOf(error),
        page(this.baseOf(req), 'Nothing changed', `<p class="error">${esc(error.message)}</p>`),
      );
    }

    private redirect(res: PageResponse, location: string): void {
      const raw = this.raw(res);
      raw.statusCode = 303;
      raw.setHeader('Location', location);
      raw.setHeader('Cache-Control', 'no-store');
      raw.end();
    }

    private send(res: PageResponse, status: number, html: string): void {
      const raw = this.raw(res);
      raw.statusCode = status;
      for (const [name, value] of Object.entries(HEADERS)) raw.setHeader(name, value);
      raw.end(html);
    }

    /**
     * Where the page is mounted as the browser sees it: the request's path up to `options.path`, so that
     * links, redirects and the cookie's Path also hold under a global prefix (`app.setGlobalPrefix`).
     */
    private baseOf(req: PageRequest): string {
      const mount = `/${this.options.path}`;
      const path = (req.originalUrl ?? req.url ?? '').split('?')[0] ?? '';
      const at = path.indexOf(`${mount}/`) >= 0 ? path.indexOf(`${mount}/`) : path.lastIndexOf(mount);
      return at >= 0 && path.endsWith(mount, at + mount.length) ? path.slice(0, at + mount.length) : mount;
    }

    private raw(res: PageResponse): PageResponse {
      if (res.raw) {
        res.hijack?.();
        return res.raw;
      }
      return res;
    }
  }
  return CashlinkOpsPageController;
}
