import type { CashlinkMoney } from '../money/cashlink-money.types';

/** A product (the security). Contract §4.4. */
export interface CashlinkProduct {
  id: string;
  name: string;
  product_type?: 'BOND' | 'DIGITAL_COMPANY_SHARE' | 'SUBORDINATED_LOAN' | 'FUND_SHARE' | (string & {});
  isin?: string | null;
  ewpg?: boolean;
  nominal_value?: CashlinkMoney;
  /** Investments must be a multiple of this many units. */
  step_size: number;
  network?: string;
  [field: string]: unknown;
}

/** A campaign (an offering of a product). Contract §4.4. */
export interface CashlinkCampaign {
  id: string;
  product_id: string;
  name: string;
  allocation?: number;
  price_per_token: CashlinkMoney;
  min_number_of_tokens: number;
  max_number_of_tokens: number;
  legal_persons_allowed?: boolean;
  natural_persons_allowed?: boolean;
  country?: string;
  is_campaign_active: boolean;
  [field: string]: unknown;
}
