import type { EmulatorCampaign, EmulatorProduct, EmulatorSeed } from './emulator.types';

/** Product with `step_size` 1 (the default for investments). */
export const EMULATOR_PRODUCT_ID = '0b8a3f8e-5a1b-4c1e-9d0f-2c9e6f1a0001';
/** Product with `step_size` 10. */
export const EMULATOR_STEP_PRODUCT_ID = '0b8a3f8e-5a1b-4c1e-9d0f-2c9e6f1a0002';
/** Active EUR campaign, `price_per_token` EUR 100.000 (`{amount: "100000", decimals: 3}`), 1..1,000,000,000 units. */
export const EMULATOR_CAMPAIGN_ID = '7c1d2e3f-4a5b-4c6d-8e9f-0a1b2c3d0001';
/** Inactive campaign (`is_campaign_active: false`): takes no investments. */
export const EMULATOR_INACTIVE_CAMPAIGN_ID = '7c1d2e3f-4a5b-4c6d-8e9f-0a1b2c3d0002';
/** Active campaign of the step-size-10 product, `price_per_token` EUR 1.50 (`{amount: "150", decimals: 2}`), 10..1000 units. */
export const EMULATOR_STEP_CAMPAIGN_ID = '7c1d2e3f-4a5b-4c6d-8e9f-0a1b2c3d0003';

const SEEDED_AT = '2026-01-01T00:00:00.000Z';

const products: EmulatorProduct[] = [
  {
    id: EMULATOR_PRODUCT_ID,
    name: 'Emulator Bond 2030',
    product_type: 'BOND',
    isin: 'DE000EMU00001',
    ewpg: true,
    nominal_value: { amount: '100000', decimals: 3, currency: 'EUR' },
    step_size: 1,
    network: 'ETHEREUM',
    created_at: SEEDED_AT,
  },
  {
    id: EMULATOR_STEP_PRODUCT_ID,
    name: 'Emulator Fund Share',
    product_type: 'FUND_SHARE',
    isin: 'DE000EMU00002',
    ewpg: true,
    nominal_value: { amount: '150', decimals: 2, currency: 'EUR' },
    step_size: 10,
    network: 'ETHEREUM',
    created_at: SEEDED_AT,
  },
];

const campaigns: EmulatorCampaign[] = [
  {
    id: EMULATOR_CAMPAIGN_ID,
    product_id: EMULATOR_PRODUCT_ID,
    name: 'Emulator Bond 2030 - public offering',
    allocation: 1_000_000_000_000,
    price_per_token: { amount: '100000', decimals: 3, currency: 'EUR' },
    min_number_of_tokens: 1,
    max_number_of_tokens: 1_000_000_000,
    legal_persons_allowed: true,
    natural_persons_allowed: true,
    country: 'DEU',
    is_campaign_active: true,
    created_at: SEEDED_AT,
  },
  {
    id: EMULATOR_INACTIVE_CAMPAIGN_ID,
    product_id: EMULATOR_PRODUCT_ID,
    name: 'Emulator Bond 2030 - closed pre-sale',
    allocation: 1_000_000,
    price_per_token: { amount: '90000', decimals: 3, currency: 'EUR' },
    min_number_of_tokens: 1,
    max_number_of_tokens: 1_000_000,
    legal_persons_allowed: true,
    natural_persons_allowed: true,
    country: 'DEU',
    is_campaign_active: false,
    created_at: SEEDED_AT,
  },
  {
    id: EMULATOR_STEP_CAMPAIGN_ID,
    product_id: EMULATOR_STEP_PRODUCT_ID,
    name: 'Emulator Fund Share - units of ten',
    allocation: 1_000_000,
    price_per_token: { amount: '150', decimals: 2, currency: 'EUR' },
    min_number_of_tokens: 10,
    max_number_of_tokens: 1000,
    legal_persons_allowed: true,
    natural_persons_allowed: true,
    country: 'DEU',
    is_campaign_active: true,
    created_at: SEEDED_AT,
  },
];

/** The default seed: an active campaign, an inactive one, and one whose product has `step_size` 10. */
export const DEFAULT_EMULATOR_SEED: EmulatorSeed = { products, campaigns };
