import type { CanActivate, ModuleMetadata, Type } from '@nestjs/common';

/** The value of `unguarded` that mounts the page without a guard: for a developer's machine only. */
export const OPS_PAGE_UNGUARDED_LOCAL_ONLY = 'local-development-only-no-auth' as const;

/** Options of `CashlinkOpsPageModule.forRoot`. */
export interface CashlinkOpsPageOptions {
  /** Where the page is mounted, without leading slash, e.g. `admin/cashlink`. @default 'ops/cashlink' */
  path?: string;
  /**
   * The app's guard deciding who may use the page (and act on intents and webhooks): a guard class
   * (resolved in this module, so its dependencies must come from `imports` or global modules) or an
   * instance. Required: the page shows and changes money-moving state.
   */
  guard?: Type<CanActivate> | CanActivate;
  /** Modules the guard class needs. */
  imports?: ModuleMetadata['imports'];
  /**
   * Mount the page without a guard, on a developer's machine only: set it to
   * `OPS_PAGE_UNGUARDED_LOCAL_ONLY`. Start-up then logs a loud warning every time.
   */
  unguarded?: typeof OPS_PAGE_UNGUARDED_LOCAL_ONLY;
  /**
   * Who acts, recorded with every resolution: from the request the guard approved.
   * @default `req.user.name ?? req.user.id ?? req.user.email ?? 'ops-page'`
   */
  actor?: (request: unknown) => string;
  /**
   * Secret of the CSRF tokens (HMAC of the per-browser cookie). With several instances behind a load
   * balancer, give them the same one (32 bytes or more).
   * @default a random secret per process (forms open across a restart must be reloaded)
   */
  csrfSecret?: string | Buffer;
}

export interface ResolvedOpsPageOptions {
  path: string;
  actor: (request: unknown) => string;
  csrfSecret: Buffer;
}
