import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { CashlinkAuthService, CashlinkIntentsService, CashlinkWebhooksService } from 'nestjs-cashlink';

/**
 * Health indicators over the library's services:
 * - `cashlink`: a token can be obtained (the cached one, or a fresh one) — down when Cashlink's token
 *   endpoint refuses or cannot be reached;
 * - `intents`: durable writes pending, and those waiting for a person (`expired`: outcome unknown after
 *   maxAgeMs; `needs_review`: stopped early, e.g. repeated 409s) — degraded while any waits for
 *   reconciliation (the app still serves; `npm run cashlink -- intents list --state expired`, or /ops);
 *   down when the database cannot be read;
 * - `webhooks`: inbox rows waiting for dispatch, dead and quarantined — degraded while a dead row waits
 *   for redispatch (quarantined ones are reported for inspection); down when the database cannot be read.
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
      const expired = counts.expired ?? 0;
      const needsReview = counts.needs_review ?? 0;
      const data = {
        pending: counts.pending ?? 0,
        expired,
        needsReview,
        needingPerson: expired + needsReview,
      };
      return data.needingPerson > 0 ? session.degraded(data) : session.up(data);
    } catch (error) {
      return session.down({ message: (error as Error).message });
    }
  }

  async inbox() {
    const session = this.health.check('webhooks');
    try {
      const [waiting, dead, quarantined] = await Promise.all([
        this.webhooks.count({ state: 'pending' }),
        this.webhooks.count({ state: 'dead' }),
        this.webhooks.count({ state: 'quarantined' }),
      ]);
      const data = { waiting, dead, quarantined };
      return dead > 0 ? session.degraded(data) : session.up(data);
    } catch (error) {
      return session.down({ message: (error as Error).message });
    }
  }
}
