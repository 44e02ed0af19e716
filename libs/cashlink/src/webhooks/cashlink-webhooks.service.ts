import { Injectable } from '@nestjs/common';
import { WebhookDispatcher } from './webhook-dispatcher.service';
import type { WebhookInboxEntity, WebhookInboxState } from './webhook-inbox.entity';
import { WebhookInboxStore } from './webhook-inbox.store';

/** A stored webhook, as the public service returns it. */
export interface CashlinkWebhookRecord {
  id: string;
  state: WebhookInboxState;
  investmentId: string | null;
  status: string | null;
  /** `changed_at` normalised to UTC with nine fraction digits. */
  changedAt: string | null;
  previousStatus: string | null;
  stale: boolean;
  attempts: number;
  receivedAt: Date;
  nextAttemptAt: Date;
  processedAt: Date | null;
  /** Name and message of the last listener error. */
  lastError: string | null;
  /** The raw body of a quarantined row. */
  rawBody: string | null;
}

/** Inspect and re-dispatch received webhooks. */
@Injectable()
export class CashlinkWebhooksService {
  constructor(
    private readonly store: WebhookInboxStore,
    private readonly dispatcher: WebhookDispatcher,
  ) {}

  /**
   * Puts rows back to `pending` with a fresh attempt budget, so their events are emitted again:
   * one row by id (if it is `dead` or `processed`), or every row in a state. Resolves with the
   * number of rows re-queued; the dispatcher picks them up at its next round.
   */
  async redispatch(target: string | { state: 'dead' | 'processed' }): Promise<number> {
    const count = await this.store.redispatch(typeof target === 'string' ? { id: target } : target);
    if (count > 0) this.dispatcher.kick();
    return count;
  }

  /** Lists rows, oldest first (at most `limit`, default 100). */
  async list(
    filter: { state?: WebhookInboxState; investmentId?: string; limit?: number } = {},
  ): Promise<CashlinkWebhookRecord[]> {
    return (await this.store.list(filter)).map(toRecord);
  }

  /** How many rows are in a state (e.g. `dead`, for a health check), or in total. */
  count(filter: { state?: WebhookInboxState; investmentId?: string } = {}): Promise<number> {
    return this.store.repository.countBy({
      ...(filter.state ? { state: filter.state } : {}),
      ...(filter.investmentId ? { investmentId: filter.investmentId } : {}),
    });
  }

  /** One row by id, or null. */
  async find(id: string): Promise<CashlinkWebhookRecord | null> {
    const row = await this.store.find(id);
    return row ? toRecord(row) : null;
  }

  /**
   * Deletes `processed` rows processed more than `webhooks.retentionMs` ago, keeping the latest change
   * of each investment (also done by the dispatch loop about once an hour); `dead` and `quarantined`
   * rows are kept. Resolves with how many rows were deleted (0 when `retentionMs` is `false`).
   */
  purge(): Promise<number> {
    return this.dispatcher.purge();
  }

  /** Dispatches every due row now (also done by the background loop); resolves with how many. */
  dispatchDue(): Promise<number> {
    return this.dispatcher.dispatchDue();
  }
}

function toRecord(row: WebhookInboxEntity): CashlinkWebhookRecord {
  return {
    id: row.id,
    state: row.state,
    investmentId: row.investmentId,
    status: row.status,
    changedAt: row.changedAt,
    previousStatus: row.previousStatus,
    stale: row.stale,
    attempts: row.attempts,
    receivedAt: new Date(row.receivedAt),
    nextAttemptAt: new Date(row.nextAttemptAt),
    processedAt: row.processedAt === null ? null : new Date(row.processedAt),
    lastError: row.lastError,
    rawBody: row.rawBody,
  };
}
