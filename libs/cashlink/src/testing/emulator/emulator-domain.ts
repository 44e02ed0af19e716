import { randomBytes, randomUUID } from 'node:crypto';
import type { EmulatorStateStore } from './emulator-state.store';
import {
  INVESTMENT_LIFECYCLE,
  INVESTMENT_STATUSES,
  type EmulatorInvestment,
  type EmulatorInvestmentStatus,
  type EmulatorIdentification,
  type EmulatorInvestor,
  type EmulatorWallet,
} from './emulator.types';
import { investmentMoney, zeroMoney } from './emulator-money';
import type { InvestmentRequest } from './investment.validation';

/** Called for every status change of an investment (the webhook sender listens). */
export type StatusChangeListener = (investment: EmulatorInvestment, changedAt: string) => void;

const FINAL_STATUSES: readonly string[] = ['DELIVERED', 'CANCELED'];

/** Creates and changes objects in the store; validation happens before this is called. */
export class EmulatorDomain {
  constructor(
    private readonly store: EmulatorStateStore,
    private readonly onStatusChange: StatusChangeListener,
    private readonly startUrlBase: () => string,
  ) {}

  createInvestor(fields: Record<string, unknown>): EmulatorInvestor {
    const id = randomUUID();
    const investor: EmulatorInvestor = {
      id,
      natural_person: fields.natural_person as Record<string, unknown>,
      legal_person: (fields.legal_person as Record<string, unknown> | undefined) ?? null,
      bank_account: (fields.bank_account as Record<string, unknown> | undefined) ?? null,
      tax_information: (fields.tax_information as Record<string, unknown> | undefined) ?? null,
      communication: (fields.communication as Record<string, unknown> | undefined) ?? null,
      created_at: new Date().toISOString(),
    };
    this.store.investors.add(investor);
    this.store.investorFacts.set(id, { isBeneficiary: fields.is_beneficiary === true, identified: false });
    return investor;
  }

  updateInvestor(investor: EmulatorInvestor, fields: Record<string, unknown>): EmulatorInvestor {
    for (const key of [
      'natural_person',
      'legal_person',
      'bank_account',
      'tax_information',
      'communication',
    ] as const) {
      if (key in fields) (investor as unknown as Record<string, unknown>)[key] = fields[key] ?? null;
    }
    const facts = this.store.investorFacts.get(investor.id);
    if (facts && typeof fields.is_beneficiary === 'boolean') facts.isBeneficiary = fields.is_beneficiary;
    return investor;
  }

  createIdentification(investorId: string, fields: Record<string, unknown>): { id: string } {
    const text = (key: string): string | null =>
      typeof fields[key] === 'string' ? (fields[key] as string) : null;
    const identification: EmulatorIdentification = {
      id: randomUUID(),
      investor_id: investorId,
      document_type: text('document_type') ?? '',
      document_id: text('document_id') ?? '',
      document_issuer: text('document_issuer'),
      document_valid_from: text('document_valid_from'),
      document_valid_to: text('document_valid_to'),
      identity_provider: text('identity_provider') ?? '',
      legitimation_process_id: text('legitimation_process_id'),
      legitimation_protocol_id: text('legitimation_protocol_id'),
      verified_at: text('verified_at') ?? '',
      created_at: new Date().toISOString(),
    };
    this.store.identifications.add(identification);
    const facts = this.store.investorFacts.get(investorId);
    // Assumption: every identification the distributor reports counts as successful.
    if (facts) facts.identified = true;
    return { id: identification.id };
  }

  createWallet(investorId: string, type: EmulatorWallet['type'], address: string, receivingEnabled: boolean) {
    const wallet: EmulatorWallet = {
      id: randomUUID(),
      investor_id: investorId,
      type,
      address,
      receiving_enabled: receivingEnabled,
      created_at: new Date().toISOString(),
    };
    this.store.wallets.add(wallet);
    if (type === 'eth-managed') {
      const facts = this.store.investorFacts.get(investorId);
      if (facts) facts.managedWalletId = wallet.id;
    }
    return wallet;
  }

  /** A fresh random address for a managed wallet. */
  static managedAddress(): string {
    return `0x${randomBytes(20).toString('hex')}`;
  }

  createInvestment(request: InvestmentRequest): EmulatorInvestment {
    const id = randomUUID();
    const money = investmentMoney(request.campaign.price_per_token, request.units);
    // accepted_at / paid_at on create start the investment further along (contract §4.6).
    const status: EmulatorInvestmentStatus = request.paid_at
      ? 'PAID'
      : request.accepted_at
        ? 'ACCEPTED'
        : 'KYC_PENDING';
    const investment: EmulatorInvestment = {
      id,
      investor_id: request.investor_id,
      campaign_id: request.campaign.id,
      status,
      units: request.units,
      ...money,
      signed_at: request.signed_at,
      accepted_at: request.accepted_at,
      paid_at: request.paid_at,
      delivered_at: null,
      cancellation_date: null,
      cancellation_reason: null,
      start_url: request.signed_at === null ? `${this.startUrlBase()}/subscribe/${id}/` : null,
      wallet: request.wallet,
      signed_documents: request.signed_documents,
      created_at: new Date().toISOString(),
    };
    if (status === 'PAID')
      investment.remaining_amount = zeroMoney(money.payment_total.decimals, money.payment_total.currency);
    this.store.investments.add(investment);
    this.store.allocatedUnits.set(
      request.campaign.id,
      (this.store.allocatedUnits.get(request.campaign.id) ?? 0) + request.units,
    );
    return investment;
  }

  /**
   * Moves an investment to `status` and reports the change. Throws when the investment is unknown,
   * the status is unknown, or the investment is already final (DELIVERED or CANCELED).
   */
  setStatus(id: string, status: string, options: { cancellationReason?: string } = {}): EmulatorInvestment {
    const investment = this.store.investments.get(id);
    if (!investment) throw new Error(`Unknown investment ${id}`);
    if (!(INVESTMENT_STATUSES as readonly string[]).includes(status)) {
      throw new Error(`Unknown status "${status}"; use one of ${INVESTMENT_STATUSES.join(', ')}`);
    }
    if (FINAL_STATUSES.includes(investment.status)) {
      throw new Error(`Investment ${id} is ${investment.status}, which is final`);
    }
    const now = new Date();
    const changedAt = now.toISOString();
    const next = status as EmulatorInvestmentStatus;
    investment.status = next;
    if (next === 'ACCEPTED') investment.accepted_at ??= changedAt;
    if (next === 'PAID') {
      investment.accepted_at ??= changedAt;
      investment.paid_at ??= changedAt;
      investment.remaining_amount = zeroMoney(
        investment.payment_total.decimals,
        investment.payment_total.currency,
      );
    }
    if (next === 'DELIVERED') investment.delivered_at ??= changedAt;
    if (next === 'CANCELED') {
      investment.cancellation_date = changedAt.slice(0, 10);
      investment.cancellation_reason = options.cancellationReason ?? 'CANCELED_BY_DISTRIBUTOR';
      this.store.allocatedUnits.set(
        investment.campaign_id,
        (this.store.allocatedUnits.get(investment.campaign_id) ?? 0) - investment.units,
      );
    }
    this.onStatusChange(investment, changedAt);
    return investment;
  }

  /** Moves an investment one step along the lifecycle (KYC_PENDING → … → DELIVERED). */
  advance(id: string): EmulatorInvestment {
    const investment = this.store.investments.get(id);
    if (!investment) throw new Error(`Unknown investment ${id}`);
    const index = (INVESTMENT_LIFECYCLE as readonly string[]).indexOf(investment.status);
    const next = INVESTMENT_LIFECYCLE[index + 1];
    if (index < 0 || next === undefined) {
      throw new Error(`Investment ${id} is ${investment.status} and has no next lifecycle step`);
    }
    return this.setStatus(id, next);
  }
}
