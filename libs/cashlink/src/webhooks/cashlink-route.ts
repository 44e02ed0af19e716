import type { ExecutionContext } from '@nestjs/common';

/**
 * Route metadata key set on the library's own routes (the webhook receiver and its token endpoint).
 * Read it with `isCashlinkRoute(context)`, or with `Reflector.getAllAndOverride(CASHLINK_ROUTE, …)`.
 */
export const CASHLINK_ROUTE = 'nestjs-cashlink:route';

/**
 * `true` when the request is handled by one of the library's routes. Cashlink authenticates itself
 * to these routes with its own credentials (checked by the library before anything is stored), so
 * an app-wide guard that knows nothing of them should let them through:
 *
 * ```ts
 * canActivate(context: ExecutionContext) {
 *   if (isCashlinkRoute(context)) return true;
 *   // … your own checks
 * }
 * ```
 */
export function isCashlinkRoute(context: ExecutionContext): boolean {
  if (context.getType() !== 'http') return false;
  return (
    Reflect.getMetadata(CASHLINK_ROUTE, context.getHandler()) === true ||
    Reflect.getMetadata(CASHLINK_ROUTE, context.getClass()) === true
  );
}
