import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { CashlinkAuthService, CashlinkIntentsService, CashlinkWebhooksService } from 'nestjs-cashlink';

/**
 * Health indicators over the library's services:
 * - `cashlink`: a token can be obtained (the cached one, or a fresh one) — down when Cashlink's token
 *   endpoint refuses or cannot be reached;
 * - `intents`: durable writes pending and expired — degraded while an expired intent waits for
 *   reconciliation (the app still serves); down when the database cannot be read;
 * - `webhooks`: inbox rows waiting for dispatch and dead — degraded while a dead row waits for redispatch;
 *   down when the database cannot be read.
 */
@Injectable()
export class CashlinkHealthIndicators {
  constructor(
    private readonly health: HealthIndicatorService,
    private readonly auth: CashlinkAuthService,
    private readonly intents: CashlinkIntentsService,
    private readonly webhooks: CashlinkWebhooksService,
  ) {}

  token() {
    return this.health
      .check('cashlink')
      .attempt(async () => {
        await this.auth.getAccessToken();
        return { token: 'reachable' };
      })
      .withTimeout(5_000);
  }

  async intentsBacklog() {
    const session = this.health.check('intents');
    try {
      const counts = await this.intents.count();
      const data = { pending: counts.pending ?? 0, expired: counts.expired ?? 0 };
      return data.expired > 0 ? session.degraded(data) : session.up(data);
    } catch (error) {
      return session.down({ message: (error as Error).message });
    }
  }

  async inbox() {
    const session = this.health.check('webhooks');
    try {
      const [waiting, dead] = await Promise.all([
        this.webhooks.count({ state: 'pending' }),
        this.webhooks.count({ state: 'dead' }),
      ]);
      const data = { waiting, dead };
      return dead > 0 ? session.degraded(data) : session.up(data);
    } catch (error) {
      return session.down({ message: (error as Error).message });
    }
  }
}
