import type { EmulatorStateStore } from './emulator-state.store';
import type { EmulatorCampaign } from './emulator.types';
import { FieldReader, addError, type FieldErrors } from './emulator-validation';

/** A validated investment request. */
export interface InvestmentRequest {
  investor_id: string;
  campaign: EmulatorCampaign;
  units: number;
  signed_at: string | null;
  accepted_at: string | null;
  paid_at: string | null;
  wallet: string | null;
  signed_documents: string[];
}

/**
 * Validates an investment against the contract's preconditions (§3, §4.5): the investor and campaign
 * exist, the campaign is active and allows this kind of investor, `units` is a positive whole multiple
 * of the product's `step_size` within the campaign's limits and the remaining allocation, the wallet
 * belongs to the investor, signed documents exist, and `signed_at` is given unless web-based
 * subscription is enabled.
 */
export function validateInvestment(
  input: Record<string, unknown>,
  store: EmulatorStateStore,
  webBasedSubscription: boolean,
): { value?: InvestmentRequest; errors: FieldErrors } {
  const r = new FieldReader(input);
  r.string('investor_id', { required: true });
  r.string('campaign_id', { required: true });
  r.integer('units', { required: true });
  r.timestamp('signed_at', { nullable: true });
  r.timestamp('accepted_at', { nullable: true });
  r.timestamp('paid_at', { nullable: true });
  r.string('wallet', { nullable: true });
  r.stringList('signed_documents');
  const errors = r.errors;
  const out = r.out;

  const investorId = out.investor_id as string | undefined;
  const investor = investorId === undefined ? undefined : store.investors.get(investorId);
  if (investorId !== undefined && !investor) {
    addError(errors, 'investor_id', `Invalid pk "${investorId}" - investor does not exist.`);
  }
  const campaignId = out.campaign_id as string | undefined;
  const campaign = campaignId === undefined ? undefined : store.campaigns.get(campaignId);
  if (campaignId !== undefined && !campaign) {
    addError(errors, 'campaign_id', `Invalid pk "${campaignId}" - campaign does not exist.`);
  }
  if (campaign && !campaign.is_campaign_active) {
    addError(errors, 'campaign_id', 'The campaign is not active and takes no investments.');
  }
  if (campaign && investor) {
    const legal = investor.legal_person !== null;
    if (legal && !campaign.legal_persons_allowed) {
      addError(errors, 'non_field_errors', 'The campaign does not allow legal persons.');
    }
    if (!legal && !campaign.natural_persons_allowed) {
      addError(errors, 'non_field_errors', 'The campaign does not allow natural persons.');
    }
  }
  const units = out.units as number | undefined;
  if (units !== undefined) {
    if (units <= 0) addError(errors, 'units', 'Ensure this value is greater than 0.');
    else if (campaign) {
      const stepSize = store.products.get(campaign.product_id)?.step_size ?? 1;
      if (units % stepSize !== 0)
        addError(errors, 'units', `Units must be a multiple of the step size ${stepSize}.`);
      if (units < campaign.min_number_of_tokens) {
        addError(
          errors,
          'units',
          `Ensure this value is greater than or equal to ${campaign.min_number_of_tokens}.`,
        );
      }
      if (units > campaign.max_number_of_tokens) {
        addError(
          errors,
          'units',
          `Ensure this value is less than or equal to ${campaign.max_number_of_tokens}.`,
        );
      }
      const taken = store.allocatedUnits.get(campaign.id) ?? 0;
      if (taken + units > campaign.allocation) {
        addError(errors, 'units', `Only ${campaign.allocation - taken} units are left in this campaign.`);
      }
    }
  }
  if (input.signed_at === undefined || input.signed_at === null) {
    // Fact: omitting signed_at starts a web-based subscription, which must be enabled for the account.
    if (!webBasedSubscription) {
      addError(
        errors,
        'signed_at',
        'Web-based subscription is not enabled for this account; send signed_at.',
      );
    }
  }
  if (out.paid_at && !out.accepted_at) {
    addError(
      errors,
      'paid_at',
      'An investment can only be paid after it was accepted; send accepted_at too.',
    );
  }
  const walletId = out.wallet as string | undefined | null;
  if (typeof walletId === 'string') {
    const wallet = store.wallets.get(walletId);
    if (!wallet) addError(errors, 'wallet', `Invalid pk "${walletId}" - wallet does not exist.`);
    else if (investorId !== undefined && wallet.investor_id !== investorId) {
      addError(errors, 'wallet', 'The wallet does not belong to this investor.');
    }
  }
  const documents = (out.signed_documents as string[] | undefined) ?? [];
  documents.forEach((id) => {
    if (!store.documents.get(id))
      addError(errors, 'signed_documents', `Invalid pk "${id}" - document does not exist.`);
  });

  if (Object.keys(errors).length > 0 || !campaign || units === undefined || investorId === undefined) {
    return { errors };
  }
  return {
    errors,
    value: {
      investor_id: investorId,
      campaign,
      units,
      signed_at: (out.signed_at as string | undefined) ?? null,
      accepted_at: (out.accepted_at as string | undefined) ?? null,
      paid_at: (out.paid_at as string | undefined) ?? null,
      wallet: walletId ?? null,
      signed_documents: documents,
    },
  };
}
