import { Injectable, type OnModuleInit } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { CashlinkError } from '../errors/cashlink.error';
import type { CashlinkDeliveryState } from '../event-log/cashlink-event.entity';
import { CashlinkEventsService, type CashlinkDeliveryRecord } from '../event-log/cashlink-events.service';
import { CASHLINK_INTENT_STATES, type CashlinkIntentState } from '../idempotency/cashlink-intent.entity';
import { CashlinkIntentsService, type CashlinkIntentView } from '../idempotency/cashlink-intents.service';
import { CashlinkReconciliationService } from '../idempotency/cashlink-reconciliation.service';
import type {
  CashlinkIntentResolutionView,
  CashlinkReconciliation,
  CashlinkResolutionInput,
  CashlinkResolutionResult,
} from '../idempotency/cashlink-reconciliation.types';
import { CashlinkDataProtectionService } from '../protection/cashlink-data-protection.service';
import { CashlinkWebhooksService, type CashlinkWebhookRecord } from '../webhooks/cashlink-webhooks.service';
import type { WebhookInboxState } from '../webhooks/webhook-inbox.entity';
import { maskPersonalData, maskText } from './ops-masking';

/** Every webhook inbox state, in display order. */
export const WEBHOOK_STATES: readonly WebhookInboxState[] = ['pending', 'processed', 'dead', 'quarantined'];

/** Every state of a handler's delivery of an event, in display order. */
export const DELIVERY_STATES: readonly CashlinkDeliveryState[] = ['retry', 'dead', 'done'];

/** Counts by state, for a glance (CLI `status`, the ops page's header, health). */
export interface CashlinkOpsCounts {
  intents: Record<CashlinkIntentState, number>;
  webhooks: Record<WebhookInboxState, number>;
  /** Deliveries of `@OnCashlinkEvent` handlers by state (all 0 without the event log). */
  deliveries: Record<CashlinkDeliveryState, number>;
}

/** An intent as operators see it: personal data masked unless revealed, with its resolution if any. */
export interface CashlinkOpsIntent extends Omit<CashlinkIntentView, 'request'> {
  request: unknown;
  resolution: CashlinkIntentResolutionView | null;
}

/**
 * What the CLI and the ops page do, over the library's public services (found in the host app
 * wherever `CashlinkModule` is imported): reads mask personal data unless `reveal` is asked for.
 */
@Injectable()
export class CashlinkOpsService implements OnModuleInit {
  private intentsService?: CashlinkIntentsService;
  private reconciliationService?: CashlinkReconciliationService;
  private webhooksService?: CashlinkWebhooksService;
  private protectionService?: CashlinkDataProtectionService;
  private eventsService?: CashlinkEventsService;

  /** Whether this process resolved an intent or re-queued webhook rows (events may still be handled). */
  changedState = false;

  constructor(private readonly moduleRef: ModuleRef) {}

  onModuleInit(): void {
    const find = <T>(type: new (...args: never[]) => T): T | undefined => {
      try {
        return this.moduleRef.get(type, { strict: false });
      } catch {
        return undefined;
      }
    };
    this.intentsService = find(CashlinkIntentsService);
    this.reconciliationService = find(CashlinkReconciliationService);
    this.webhooksService = find(CashlinkWebhooksService);
    this.protectionService = find(CashlinkDataProtectionService);
    this.eventsService = find(CashlinkEventsService);
  }

  private get intents(): CashlinkIntentsService {
    if (!this.intentsService) {
      throw new CashlinkError(
        'CashlinkIntentsService is not in this app: import CashlinkModule with persistence (the default).',
      );
    }
    return this.intentsService;
  }

  private get reconciliation(): CashlinkReconciliationService {
    if (!this.reconciliationService) {
      throw new CashlinkError(
        'CashlinkReconciliationService is not in this app: import CashlinkModule with persistence.',
      );
    }
    return this.reconciliationService;
  }

  private get webhooks(): CashlinkWebhooksService {
    if (!this.webhooksService) {
      throw new CashlinkError('CashlinkWebhooksService is not in this app: webhooks need persistence.');
    }
    return this.webhooksService;
  }

  private get events(): CashlinkEventsService {
    if (!this.eventsService) {
      throw new CashlinkError('CashlinkEventsService is not in this app: the event log needs persistence.');
    }
    return this.eventsService;
  }

  /** Handler deliveries (`@OnCashlinkEvent`) by state, of one handler when given. */
  countDeliveries(handler?: string): Promise<Record<CashlinkDeliveryState, number>> {
    return this.events.countDeliveries(handler);
  }

  /** Handler deliveries, by event then handler (the handler's last error is its own text). */
  listDeliveries(
    filter: { state?: CashlinkDeliveryState; handler?: string; eventId?: number; limit?: number } = {},
  ): Promise<CashlinkDeliveryRecord[]> {
    return this.events.deliveries(filter);
  }

  /** Re-queues one handler's delivery of one event, or every dead delivery (of one handler). */
  async redispatchDeliveries(
    target: { eventId: number; handler: string } | { state: 'dead'; handler?: string },
  ): Promise<number> {
    const count = await this.events.redispatch(target);
    if (count > 0) this.changedState = true;
    return count;
  }

  /** Whether the app has the event log (handler deliveries exist). */
  get hasEvents(): boolean {
    return this.eventsService !== undefined;
  }

  /** Whether the app receives webhooks (an inbox exists). */
  get hasWebhooks(): boolean {
    return this.webhooksService !== undefined;
  }

  async counts(): Promise<CashlinkOpsCounts> {
    const intents = await this.intents.count();
    const webhooks = Object.fromEntries(WEBHOOK_STATES.map((s) => [s, 0])) as Record<
      WebhookInboxState,
      number
    >;
    if (this.webhooksService) {
      for (const state of WEBHOOK_STATES) webhooks[state] = await this.webhooksService.count({ state });
    }
    const deliveries = this.eventsService
      ? await this.eventsService.countDeliveries()
      : { retry: 0, dead: 0, done: 0 };
    return {
      intents: { ...Object.fromEntries(CASHLINK_INTENT_STATES.map((s) => [s, 0])), ...intents },
      webhooks,
      deliveries,
    };
  }

  /** Intents oldest first, without their request and answer (a list never shows personal data). */
  async listIntents(query: { state?: CashlinkIntentState; limit?: number; offset?: number } = {}) {
    const rows = await this.intents.list(query);
    return rows.map((row) => ({
      key: row.key,
      operation: row.operation,
      state: row.state,
      attempts: row.attempts,
      createdAt: row.createdAt,
      updatedAt: row.updatedAt,
      reason: row.lastError?.reason ?? row.lastError?.className ?? null,
    }));
  }

  async showIntent(key: string, reveal = false): Promise<CashlinkOpsIntent | null> {
    const view = await this.intents.find(key);
    if (!view) return null;
    const resolution = await this.reconciliation.findResolution(key);
    return {
      ...view,
      request: maskPersonalData(view.request, reveal),
      ...(view.response
        ? { response: { status: view.response.status, body: maskPersonalData(view.response.body, reveal) } }
        : {}),
      ...(view.lastError
        ? { lastError: { ...view.lastError, body: maskPersonalData(view.lastError.body, reveal) } }
        : {}),
      resolution,
    };
  }

  async reconcile(key: string, reveal = false, maxPages?: number): Promise<CashlinkReconciliation> {
    const found = await this.reconciliation.reconcile(key, maxPages ? { maxPages } : {});
    return {
      ...found,
      candidates: found.candidates.map((c) => ({ ...c, object: maskPersonalData(c.object, reveal) })),
    };
  }

  resolve(key: string, input: CashlinkResolutionInput): Promise<CashlinkResolutionResult> {
    this.changedState = true;
    return this.reconciliation.resolve(key, input);
  }

  async listWebhooks(query: { state?: WebhookInboxState; limit?: number } = {}) {
    const rows = await this.webhooks.list(query);
    return rows.map((row) => ({ ...row, rawBody: maskText(row.rawBody) }));
  }

  async showWebhook(id: string, reveal = false): Promise<CashlinkWebhookRecord | null> {
    const row = await this.webhooks.find(id);
    if (!row) return null;
    return { ...row, rawBody: maskText(row.rawBody, reveal), lastError: row.lastError };
  }

  /** Puts one dead (or processed) row, or every dead row, back to pending; returns how many. */
  redispatch(target: string | { state: 'dead' }): Promise<number> {
    this.changedState = true;
    return this.webhooks.redispatch(target);
  }

  /**
   * Applies the retention now: settled intents and processed webhook rows (their retention periods), and
   * personal data past `personalData.retentionMs`; returns how many of each were purged.
   */
  async purge(): Promise<{
    intents: number;
    webhooks: number;
    personalData: { intents: number; webhooks: number };
  }> {
    const intents = await this.intents.purge();
    const webhooks = this.webhooksService ? await this.webhooksService.purge() : 0;
    const personalData = this.protectionService
      ? await this.protectionService.purgePersonalData()
      : { intents: 0, webhooks: 0 };
    return { intents, webhooks, personalData };
  }

  /**
   * Erases personal data on request: of the intents with these keys, or of every intent about one
   * Cashlink investor. Returns the erased keys.
   */
  async erase(target: { keys: string[] } | { investorId: string }): Promise<string[]> {
    if (!this.protectionService) {
      throw new CashlinkError('CashlinkDataProtectionService is not in this app: erasure needs persistence.');
    }
    this.changedState = true;
    return 'keys' in target
      ? this.protectionService.eraseIntents(target.keys)
      : this.protectionService.eraseInvestor(target.investorId);
  }
}
