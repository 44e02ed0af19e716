// nestjs-cashlink/testing: the local Cashlink emulator and helpers for users' tests.
export {
  CashlinkEmulator,
  startCashlinkEmulator,
  DEFAULT_EMULATOR_CLIENT_ID,
  DEFAULT_EMULATOR_CLIENT_SECRET,
  EMULATOR_API_BASE_PATH,
  EMULATOR_TOKEN_PATH,
  type CashlinkEmulatorOptions,
  type SeedInvestmentsOptions,
} from './emulator/cashlink-emulator';
export {
  DEFAULT_EMULATOR_SEED,
  EMULATOR_CAMPAIGN_ID,
  EMULATOR_INACTIVE_CAMPAIGN_ID,
  EMULATOR_PRODUCT_ID,
  EMULATOR_STEP_CAMPAIGN_ID,
  EMULATOR_STEP_PRODUCT_ID,
} from './emulator/emulator-seed.constants';
export { exampleIdentificationInput, exampleInvestorInput } from './emulator/emulator-examples';
export { CONTROL_PREFIX as EMULATOR_CONTROL_PREFIX } from './emulator/emulator-request.handler';
export {
  CASHLINK_SCOPES,
  INVESTMENT_LIFECYCLE,
  INVESTMENT_STATUSES,
  type EmulatorCampaign,
  type EmulatorDocument,
  type EmulatorFaultKind,
  type EmulatorFaultSpec,
  type EmulatorIdentification,
  type EmulatorInvestment,
  type EmulatorInvestmentStatus,
  type EmulatorInvestor,
  type EmulatorMoney,
  type EmulatorProduct,
  type EmulatorReleaseOrder,
  type EmulatorRequestLogEntry,
  type EmulatorSeed,
  type EmulatorWallet,
  type EmulatorWebhookAuth,
  type EmulatorWebhookConfig,
  type EmulatorWebhookDelivery,
  type EmulatorWebhookPayload,
} from './emulator/emulator.types';
export { testEncryptionKeys, type TestEncryptionKeys } from './test-encryption-keys';
