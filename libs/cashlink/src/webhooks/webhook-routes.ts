/** Default path of the webhook receiver (relative to the app root; a global prefix applies). */
export const DEFAULT_WEBHOOKS_PATH = 'cashlink/webhooks';

/** The paths the webhook controller is declared with, fixed before any options factory runs. */
export interface CashlinkWebhookRoutePaths {
  path: string;
  tokenPath: string;
}

/** Injection token of the `CashlinkWebhookRoutePaths` the controller was declared with. Internal. */
export const CASHLINK_WEBHOOKS_ROUTE_PATHS = Symbol('CASHLINK_WEBHOOKS_ROUTE_PATHS');

export function normaliseRoutePath(path: string): string {
  return path.replace(/^\/+/, '').replace(/\/+$/, '');
}

/**
 * The controller's paths: the extras first (the only source with `forRootAsync`, whose options exist
 * only after its factory ran), then, with `forRoot`, the `webhooks.path` / `webhooks.auth.tokenPath`
 * options themselves, else the defaults. Invalid values are left to the options validation, which
 * names the option; the mismatch check then reports nothing more.
 */
export function webhookRoutePaths(
  extras: { webhooksPath?: string; webhooksTokenPath?: string },
  syncOptions: unknown,
): CashlinkWebhookRoutePaths {
  const webhooks = (syncOptions as { webhooks?: unknown } | undefined)?.webhooks;
  const fromOptions =
    webhooks && typeof webhooks === 'object'
      ? (webhooks as { path?: unknown; auth?: { tokenPath?: unknown } })
      : undefined;
  const pick = (...candidates: unknown[]): string | undefined => {
    for (const c of candidates) {
      if (typeof c === 'string' && normaliseRoutePath(c) !== '') return normaliseRoutePath(c);
    }
    return undefined;
  };
  const path = pick(extras.webhooksPath, fromOptions?.path) ?? DEFAULT_WEBHOOKS_PATH;
  const tokenPath = pick(extras.webhooksTokenPath, fromOptions?.auth?.tokenPath) ?? `${path}/oauth/token`;
  return { path, tokenPath };
}

/**
 * Lines for `CashlinkConfigError` when the options name other paths than the routes the controller
 * was declared with (a `forRootAsync` factory returning `webhooks.path`, which comes too late to
 * shape a route). Options that name no path take the declared ones.
 */
export function routePathProblems(routes: CashlinkWebhookRoutePaths, webhooksInput: unknown): string[] {
  if (!webhooksInput || typeof webhooksInput !== 'object') return [];
  const input = webhooksInput as { path?: unknown; auth?: { type?: unknown; tokenPath?: unknown } };
  const problems: string[] = [];
  if (typeof input.path === 'string' && normaliseRoutePath(input.path) !== routes.path) {
    problems.push(
      `webhooks.path '${normaliseRoutePath(input.path)}' differs from the route declared at start-up ('${routes.path}'): ` +
        `with forRootAsync, set the module extra \`webhooksPath\` beside useFactory instead.`,
    );
  }
  const tokenPath = input.auth?.tokenPath;
  if (typeof tokenPath === 'string' && normaliseRoutePath(tokenPath) !== routes.tokenPath) {
    problems.push(
      `webhooks.auth.tokenPath '${normaliseRoutePath(tokenPath)}' differs from the route declared at start-up ` +
        `('${routes.tokenPath}'): with forRootAsync, set the module extra \`webhooksTokenPath\` beside useFactory instead.`,
    );
  }
  return problems;
}
