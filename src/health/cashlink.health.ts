import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { CashlinkAuthService, CashlinkIntentsService, CashlinkWebhooksService } from 'nestjs-cashlink';

/** Above this many rows the inbox indicator reports `1000+`. */
const INBOX_COUNT_CAP = 1000;

/**
 * Health indicators over the library's services:
 * - `cashlink`: a token can be obtained (the cached one, or a fresh one) — down when Cashlink's token
 *   endpoint refuses or cannot be reached;
 * - `intents`: durable writes pending and expired — degraded while an expired intent waits for
 *   reconciliation (the app still serves);
 * - `webhooks`: inbox rows waiting for dispatch and dead — degraded while a dead row waits for redispatch.
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
    const counts = await this.intents.count();
    const data = { pending: counts.pending ?? 0, expired: counts.expired ?? 0 };
    const session = this.health.check('intents');
    return data.expired > 0 ? session.degraded(data) : session.up(data);
  }

  async inbox() {
    // The webhooks service lists rows (no count): a capped count is enough for a health check.
    const [waiting, dead] = await Promise.all(
      (['pending', 'dead'] as const).map(async (state) => {
        const rows = await this.webhooks.list({ state, limit: INBOX_COUNT_CAP });
        return rows.length >= INBOX_COUNT_CAP ? `${INBOX_COUNT_CAP}+` : rows.length;
      }),
    );
    const data = { waiting, dead };
    const session = this.health.check('webhooks');
    return dead !== 0 ? session.degraded(data) : session.up(data);
  }
}
