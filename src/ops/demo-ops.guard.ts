import { randomBytes, timingSafeEqual } from 'node:crypto';
import {
  type CanActivate,
  type ExecutionContext,
  Inject,
  Injectable,
  UnauthorizedException,
} from '@nestjs/common';
import { ConfigService } from '@nestjs/config';

/** Injection token of the ops page's demo password. */
export const DEMO_OPS_PASSWORD = Symbol('DEMO_OPS_PASSWORD');

/** DEMO_OPS_PASSWORD, or a random one per start (printed with the page's URL). */
export function demoOpsPassword(config: ConfigService): string {
  return config.get<string>('DEMO_OPS_PASSWORD') || randomBytes(12).toString('base64url');
}

/**
 * The demo's stand-in for a real admin guard (your SSO, session or mTLS check): HTTP Basic auth as user
 * `ops`. A browser asks for the credentials on a 401 with `WWW-Authenticate`.
 */
@Injectable()
export class DemoOpsGuard implements CanActivate {
  constructor(@Inject(DEMO_OPS_PASSWORD) private readonly password: string) {}

  canActivate(context: ExecutionContext): boolean {
    const req = context
      .switchToHttp()
      .getRequest<{ headers: Record<string, string | undefined>; user?: unknown }>();
    const header = req.headers.authorization ?? '';
    const [scheme, encoded] = header.split(' ');
    if (scheme === 'Basic' && encoded) {
      const decoded = Buffer.from(encoded, 'base64').toString('utf8');
      const expected = Buffer.from(`ops:${this.password}`);
      const given = Buffer.from(decoded);
      if (given.length === expected.length && timingSafeEqual(given, expected)) {
        req.user = { name: 'ops' };
        return true;
      }
    }
    // Makes the browser ask for the credentials.
    // Express's response, or Fastify's reply (its Node response is `raw`).
    const res = context.switchToHttp().getResponse<{
      raw?: { setHeader(name: string, value: string): void };
      setHeader?(name: string, value: string): void;
    }>();
    (res.raw ?? res).setHeader?.('WWW-Authenticate', 'Basic realm="cashlink-ops", charset="UTF-8"');
    throw new UnauthorizedException('The ops page needs the demo credentials (user ops)');
  }
}
