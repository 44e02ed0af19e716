import { randomBytes } from 'node:crypto';
import { type CanActivate, type DynamicModule, Logger, Module, type Type } from '@nestjs/common';
import { CashlinkConfigError } from '../../errors/cashlink.error';
import { CashlinkOpsService } from '../cashlink-ops.service';
import { createOpsPageController, OPS_PAGE_OPTIONS } from './ops-page.controller';
import {
  type CashlinkOpsPageOptions,
  OPS_PAGE_UNGUARDED_LOCAL_ONLY,
  type ResolvedOpsPageOptions,
} from './ops-page.options';

function defaultActor(request: unknown): string {
  const user = (request as { user?: Record<string, unknown> })?.user;
  const name = user?.name ?? user?.id ?? user?.email ?? user?.username;
  return typeof name === 'string' && name !== '' ? name : 'ops-page';
}

/** Checks the options; every problem is listed at once, with how to fix it. */
export function resolveOpsPageOptions(options: CashlinkOpsPageOptions): ResolvedOpsPageOptions {
  const problems: string[] = [];
  const path = (options.path ?? 'ops/cashlink').replace(/^\/+|\/+$/g, '');
  if (!/^[A-Za-z0-9._~-]+(\/[A-Za-z0-9._~-]+)*$/.test(path)) {
    problems.push(
      `opsPage.path must be a URL path like 'admin/cashlink' (got ${JSON.stringify(options.path)}).`,
    );
  }
  if (!options.guard && options.unguarded !== OPS_PAGE_UNGUARDED_LOCAL_ONLY) {
    problems.push(
      'opsPage.guard is required: the page shows and changes money-moving state. Pass your auth guard ' +
        `(a CanActivate class or instance); for a developer's machine only, set unguarded: '${OPS_PAGE_UNGUARDED_LOCAL_ONLY}'.`,
    );
  }
  if (options.guard && options.unguarded !== undefined) {
    problems.push('opsPage: give either guard or unguarded, not both.');
  }
  const secret = options.csrfSecret ?? randomBytes(32);
  if (Buffer.byteLength(secret) < 32) problems.push('opsPage.csrfSecret must be at least 32 bytes.');
  if (problems.length > 0) throw new CashlinkConfigError(problems);
  return {
    path,
    actor: options.actor ?? defaultActor,
    csrfSecret: Buffer.isBuffer(secret) ? secret : Buffer.from(secret),
  };
}

/**
 * The optional ops page: server-rendered HTML at `path` (counts by state, filterable lists, details with
 * personal data masked, reconcile and resolve, replay of dead webhook rows), behind the app's guard.
 * POSTs need a CSRF token and a ticked confirmation. Express or Fastify (forms are read from `req.body`
 * as Nest's default urlencoded parser of each platform leaves it).
 *
 * ```ts
 * CashlinkOpsPageModule.forRoot({ path: 'admin/cashlink', guard: AdminGuard })
 * ```
 */
@Module({})
export class CashlinkOpsPageModule {
  static forRoot(options: CashlinkOpsPageOptions): DynamicModule {
    const resolved = resolveOpsPageOptions(options);
    if (!options.guard) {
      new Logger('CashlinkOpsPage').warn(
        `\n!!! The Cashlink ops page at /${resolved.path} has NO GUARD: anyone who reaches this app can see intents ` +
          'and resolve them, and replay webhooks. For a developer machine only; never deploy this. !!!',
      );
    }
    const guards: Array<Type<CanActivate> | CanActivate> = options.guard ? [options.guard] : [];
    const guardProviders = guards.filter((g): g is Type<CanActivate> => typeof g === 'function');
    return {
      module: CashlinkOpsPageModule,
      imports: options.imports ?? [],
      controllers: [createOpsPageController(resolved.path, guards)],
      providers: [{ provide: OPS_PAGE_OPTIONS, useValue: resolved }, CashlinkOpsService, ...guardProviders],
    };
  }
}
