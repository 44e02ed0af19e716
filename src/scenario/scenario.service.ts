import { Injectable } from '@nestjs/common';
import {
  CashlinkCampaignsService,
  CashlinkMoneyService,
  CashlinkProductsService,
  type CashlinkInvestment,
} from 'nestjs-cashlink';
import { EmbeddedCashlink } from '../config/embedded-cashlink';
import { CustomersService } from '../customers/customers.service';
import { short } from '../subscriptions/subscription-status.listener';
import { TimelineService } from '../timeline/timeline.service';
import { sampleSubscriptionPdf } from './sample-document';

/** Statuses after which nothing changes any more. */
const FINAL = new Set(['DELIVERED', 'CANCELED', 'KYC_INSUFFICIENT']);
/** How long the scenario waits for one webhook to arrive and be applied. */
const STEP_TIMEOUT_MS = 30_000;

interface ApiAnswer {
  status: number;
  body: Record<string, unknown>;
}

/**
 * One walk through the whole flow, through the demo's own HTTP API (exactly what the printed curl lines
 * do): customer → investor, document upload, subscription → investment, then the investment's status
 * changes, driven with the emulator's control methods and arriving back by webhook.
 */
@Injectable()
export class ScenarioService {
  constructor(
    private readonly timeline: TimelineService,
    private readonly embedded: EmbeddedCashlink,
    private readonly campaigns: CashlinkCampaignsService,
    private readonly products: CashlinkProductsService,
    private readonly money: CashlinkMoneyService,
    private readonly customers: CustomersService,
  ) {}

  async run(appUrl: string): Promise<void> {
    const api = async (method: string, path: string, body?: unknown | FormData): Promise<ApiAnswer> => {
      const init: RequestInit = { method };
      if (body instanceof FormData) init.body = body;
      else if (body !== undefined) {
        init.body = JSON.stringify(body);
        init.headers = { 'content-type': 'application/json' };
      }
      const response = await fetch(`${appUrl}${path}`, init);
      const answer = { status: response.status, body: (await response.json()) as Record<string, unknown> };
      if (response.status >= 300) {
        throw new Error(`${method} ${path} answered ${response.status}: ${JSON.stringify(answer.body)}`);
      }
      return answer;
    };
    this.timeline.line('');
    this.timeline.line('Scenario: a customer subscribes to a campaign');

    const campaign = await this.pickCampaign();
    this.timeline.step('campaign chosen', `${short(campaign.id)} ${campaign.name}`);

    const customer = (
      await api('POST', '/customers', {
        forename: 'Erika',
        surname: 'Mustermann',
        email: 'erika@example.com',
      })
    ).body;
    this.timeline.step(
      'investor created',
      `customer ${short(String(customer.id))} → Cashlink investor ${short(String(customer.cashlinkInvestorId))} (key: the customer id)`,
    );

    // What a retry after a lost answer does: the same call with the same key.
    const log = this.embedded.emulator;
    const requestsBefore = log?.requests().length ?? 0;
    const again = await this.customers.repeatInvestorCall(String(customer.id));
    const sent = log === null ? '' : `, ${log.requests().length - requestsBefore} requests sent`;
    this.timeline.step(
      'repeat is harmless',
      `same key → same investor ${short(again)} (answered from the stored intent${sent})`,
    );

    const pdf = sampleSubscriptionPdf();
    const form = new FormData();
    form.append(
      'file',
      new Blob([new Uint8Array(pdf)], { type: 'application/pdf' }),
      'subscription-form.pdf',
    );
    const document = (await api('POST', '/documents', form)).body;
    this.timeline.step(
      'document uploaded',
      `document ${short(String(document.id))} (subscription-form.pdf, ${pdf.length} bytes)`,
    );

    const created = (
      await api('POST', '/subscriptions', {
        customerId: customer.id,
        campaignId: campaign.id,
        units: campaign.units,
        documentId: document.id,
      })
    ).body;
    const investment = created.investment as CashlinkInvestment;
    const subscriptionId = String(created.id);
    this.timeline.step(
      'investment created',
      `investment ${short(investment.id)} for subscription ${short(subscriptionId)}: ${campaign.units} units, ` +
        `${investment.investment_amount ? this.money.format(investment.investment_amount, 'en') : 'amount n/a'}, ` +
        `status ${investment.status} ` +
        `(intent committed with the subscription row)`,
    );

    const emulator = this.embedded.emulator;
    if (emulator === null) {
      this.timeline.step(
        'waiting for Cashlink',
        'status changes arrive by webhook as Cashlink processes the investment',
      );
      return;
    }
    let status = investment.status;
    await this.waitForLocalStatus(api, subscriptionId, status);
    while (!FINAL.has(status)) {
      emulator.advanceInvestment(investment.id);
      status = emulator.investments().find((i) => i.id === investment.id)?.status ?? status;
      await this.waitForLocalStatus(api, subscriptionId, status);
    }
    this.timeline.step(`subscription ${status}`, `local subscription ${short(subscriptionId)} is ${status}`);
    this.timeline.line('Scenario complete.');
  }

  /** The first active campaign, and a number of units it accepts (a multiple of the product's step size). */
  private async pickCampaign(): Promise<{ id: string; name: string; units: number }> {
    for await (const campaign of this.campaigns.all()) {
      if (!campaign.is_campaign_active) continue;
      const product = await this.products.get(campaign.product_id);
      const step = Math.max(1, product.step_size ?? 1);
      const units = Math.ceil(Math.max(10, campaign.min_number_of_tokens ?? 1) / step) * step;
      if (campaign.max_number_of_tokens !== undefined && units > campaign.max_number_of_tokens) continue;
      return { id: campaign.id, name: campaign.name, units };
    }
    throw new Error('no active campaign at Cashlink to subscribe to');
  }

  /** Polls the demo's API until the webhook for `status` has been applied to the local subscription. */
  private async waitForLocalStatus(
    api: (method: string, path: string) => Promise<ApiAnswer>,
    subscriptionId: string,
    status: string,
  ): Promise<void> {
    const deadline = Date.now() + STEP_TIMEOUT_MS;
    for (;;) {
      const local = (await api('GET', `/subscriptions/${subscriptionId}`)).body;
      if (local.status === status && local.cashlinkInvestmentId !== null) return;
      if (Date.now() > deadline) {
        throw new Error(
          `subscription ${subscriptionId} did not reach ${status} (it is ${String(local.status)})`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}
