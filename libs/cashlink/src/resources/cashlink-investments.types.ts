import type { CashlinkMoney } from '../money/cashlink-money.types';

/**
 * Status of an investment (contract §4.6). Cashlink may add statuses: unknown values are accepted
 * as strings, so code must have a default branch.
 */
export type InvestmentStatus =
  | 'KYC_PENDING'
  | 'KYC_INSUFFICIENT'
  | 'REVIEW_PENDING'
  | 'WAITING_FOR_ACCEPTANCE'
  | 'ACCEPTED'
  | 'PAID'
  | 'DELIVERED'
  | 'CANCELED'
  | (string & {});

/** Body of `POST /v2/investments/`. Contract §4.5. */
export interface CashlinkInvestmentCreate {
  investor_id: string;
  campaign_id: string;
  /** Token units: a positive whole number, a multiple of the product's `step_size`. */
  units: number;
  /** ISO 8601 timestamp of the binding commitment. Omit it to start a web-based subscription (if enabled). */
  signed_at?: string;
  /** Skips the issuer's acceptance. */
  accepted_at?: string;
  paid_at?: string;
  /** Wallet id. */
  wallet?: string;
  /** Document ids (field name assumed). */
  signed_documents?: string[];
  [field: string]: unknown;
}

/** An investment as Cashlink answers it. Money fields stay in wire form; convert with `CashlinkMoneyService`. */
export interface CashlinkInvestment {
  id: string;
  investor_id: string;
  campaign_id: string;
  status: InvestmentStatus;
  units: number;
  // Always in Cashlink's answer (contract §4.5): a user reads them on every investment.
  investment_amount: CashlinkMoney;
  disagio: CashlinkMoney;
  accrued_interest: CashlinkMoney;
  payment_total: CashlinkMoney;
  remaining_amount: CashlinkMoney;
  signed_at?: string | null;
  accepted_at?: string | null;
  paid_at?: string | null;
  delivered_at?: string | null;
  cancellation_date?: string | null;
  cancellation_reason?: string | null;
  /** Web-based subscription only: where the investor continues. */
  start_url?: string | null;
  /** Assumed field. */
  created_at?: string;
  [field: string]: unknown;
}
