// Wire types and options of the Cashlink emulator. Wire objects keep Cashlink's snake_case names.

/** Cashlink's money format: value = amount / 10^decimals. */
export interface EmulatorMoney {
  amount: string;
  decimals: number;
  currency: string;
}

/** The investment statuses the emulator knows, in lifecycle order first (contract §4.6). */
export const INVESTMENT_LIFECYCLE = [
  'KYC_PENDING',
  'REVIEW_PENDING',
  'WAITING_FOR_ACCEPTANCE',
  'ACCEPTED',
  'PAID',
  'DELIVERED',
] as const;

/** Every status the emulator can set. */
export const INVESTMENT_STATUSES = [...INVESTMENT_LIFECYCLE, 'KYC_INSUFFICIENT', 'CANCELED'] as const;

export type EmulatorInvestmentStatus = (typeof INVESTMENT_STATUSES)[number];

/** The OAuth scopes of the contract (§1). */
export const CASHLINK_SCOPES = [
  'investors:read',
  'investors:write',
  'investments:read',
  'investments:write',
  'documents:write',
] as const;

export interface EmulatorProduct {
  id: string;
  name: string;
  product_type: string;
  isin: string | null;
  ewpg: boolean;
  nominal_value: EmulatorMoney;
  step_size: number;
  network: string;
  created_at: string;
}

export interface EmulatorCampaign {
  id: string;
  product_id: string;
  name: string;
  allocation: number;
  price_per_token: EmulatorMoney;
  min_number_of_tokens: number;
  max_number_of_tokens: number;
  legal_persons_allowed: boolean;
  natural_persons_allowed: boolean;
  country: string;
  is_campaign_active: boolean;
  created_at: string;
}

/** An investor as the emulator answers it (`is_beneficiary` is write-only and kept apart). */
export interface EmulatorInvestor {
  id: string;
  natural_person: Record<string, unknown>;
  legal_person: Record<string, unknown> | null;
  bank_account: Record<string, unknown> | null;
  tax_information: Record<string, unknown> | null;
  communication: Record<string, unknown> | null;
  created_at: string;
}

export interface EmulatorIdentification {
  id: string;
  investor_id: string;
  document_type: string;
  document_id: string;
  document_issuer: string | null;
  document_valid_from: string | null;
  document_valid_to: string | null;
  identity_provider: string;
  legitimation_process_id: string | null;
  legitimation_protocol_id: string | null;
  verified_at: string;
  created_at: string;
}

export interface EmulatorWallet {
  id: string;
  investor_id: string;
  type: 'eth-generic' | 'eth-managed';
  address: string;
  receiving_enabled: boolean;
  created_at: string;
}

/** A stored document: metadata only, the bytes are hashed and dropped. */
export interface EmulatorDocument {
  id: string;
  filename: string;
  content_type: string;
  size: number;
  sha256: string;
  created_at: string;
}

export interface EmulatorInvestment {
  id: string;
  investor_id: string;
  campaign_id: string;
  status: EmulatorInvestmentStatus;
  units: number;
  investment_amount: EmulatorMoney;
  disagio: EmulatorMoney;
  accrued_interest: EmulatorMoney;
  payment_total: EmulatorMoney;
  remaining_amount: EmulatorMoney;
  signed_at: string | null;
  accepted_at: string | null;
  paid_at: string | null;
  delivered_at: string | null;
  cancellation_date: string | null;
  cancellation_reason: string | null;
  start_url: string | null;
  wallet: string | null;
  signed_documents: string[];
  created_at: string;
}

/** Products and campaigns the emulator starts with (and restores on `reset()`). */
export interface EmulatorSeed {
  products: readonly EmulatorProduct[];
  campaigns: readonly EmulatorCampaign[];
}

/** The kinds of fault the emulator can inject. */
export type EmulatorFaultKind = 'server_error' | 'drop_after_work' | 'rate_limit' | 'delay';

/** A fault to inject into matching requests. */
export interface EmulatorFaultSpec {
  /**
   * `'<METHOD> <route template>'` relative to the API base, e.g. `'POST /v2/investments/'` or
   * `'GET /v2/investments/{id}/'`; `'POST /oauth/token'` for the token endpoint.
   * Omitted: every API route (never the token endpoint).
   */
  route?: string;
  /** What happens to a matching request. */
  kind: EmulatorFaultKind;
  /** HTTP status for `server_error`. @default 503 */
  status?: number;
  /** `Retry-After` seconds for `rate_limit`. @default 1 */
  retryAfterSeconds?: number;
  /** How long `delay` waits before the request is handled. @default 1000 */
  delayMs?: number;
  /** Chance (0..1) that a matching request is hit. @default 1 */
  probability?: number;
  /** Hit only the next `count` matching requests; omitted: unbounded until `clearFaults()`. */
  count?: number;
}

/** One request as the emulator saw it. Holds no secrets and no bodies. */
export interface EmulatorRequestLogEntry {
  /** Order of arrival, from 1. */
  seq: number;
  method: string;
  /** Path relative to the API base (`/v2/investments/`), or `/oauth/token` for the token endpoint. */
  path: string;
  /** Route template that matched, e.g. `'GET /v2/investments/{id}/'`. */
  route?: string;
  /** Status answered, `'dropped'` when the connection was destroyed without an answer, 0 while running. */
  status: number | 'dropped';
  idempotencyKey?: string;
  /** Fault that hit this request. */
  fault?: EmulatorFaultKind;
  /** Whether this request created or changed an object (issuing a token does not count). */
  effect: boolean;
  /** Whether the answer was a stored idempotent answer. */
  replayed: boolean;
  /** High-resolution epoch milliseconds (`performance.timeOrigin + performance.now()`). */
  startedAt: number;
  endedAt: number;
}

/** How the emulator authenticates its webhook calls (contract §5). */
export type EmulatorWebhookAuth =
  | { type: 'bearer'; token: string }
  | { type: 'oauth2'; tokenUrl: string; clientId: string; clientSecret: string; scope?: string };

/** Where status changes are sent. */
export interface EmulatorWebhookConfig {
  url: string;
  auth: EmulatorWebhookAuth;
  /** First retry delay; doubles per attempt. @default 200 */
  retryInitialDelayMs?: number;
  /** Upper bound of the retry delay. @default 30000 */
  retryMaxDelayMs?: number;
  /** Per-attempt timeout. @default 10000 */
  timeoutMs?: number;
}

/** The body of a webhook call (contract §5). */
export interface EmulatorWebhookPayload {
  investment_id: string;
  status: string;
  changed_at: string;
}

/** One delivery attempt of a webhook (secrets omitted). */
export interface EmulatorWebhookDelivery {
  /** Same for every attempt of one delivery. */
  deliveryId: string;
  attempt: number;
  url: string;
  payload: EmulatorWebhookPayload;
  /** Receiver's status, or undefined when no answer came (see `error`). */
  responseStatus?: number;
  error?: string;
  /** Whether a fresh OAuth token was fetched for this attempt. */
  tokenFetched: boolean;
  startedAt: number;
  endedAt: number;
}

export type EmulatorReleaseOrder = 'fifo' | 'reverse' | 'shuffle';

/** Options of `seedInvestments`. */
export interface SeedInvestmentsOptions {
  /** @default EMULATOR_CAMPAIGN_ID */
  campaignId?: string;
  /** Investor of the investments; a new example investor when omitted. */
  investorId?: string;
  /** Units of each investment. @default 1 */
  units?: number;
  /** Status of each investment. @default 'KYC_PENDING' */
  status?: EmulatorInvestmentStatus;
}

/**
 * The emulator's control methods, as the HTTP control API drives them. Declared apart from the class so
 * that the control API does not depend on the emulator that mounts it.
 */
export interface EmulatorControls {
  readonly baseUrl: string;
  readonly tokenUrl: string;
  readonly clientId: string;
  requests(): EmulatorRequestLogEntry[];
  tokenRequests(): number;
  investors(): EmulatorInvestor[];
  investments(): EmulatorInvestment[];
  documents(): EmulatorDocument[];
  identifications(): EmulatorIdentification[];
  wallets(): EmulatorWallet[];
  products(): EmulatorProduct[];
  campaigns(): EmulatorCampaign[];
  effectsByIdempotencyKey(): Record<string, number>;
  forgetIdempotencyKeys(): void;
  injectFault(spec: EmulatorFaultSpec): string;
  clearFaults(id?: string): void;
  expireAllTokens(): void;
  setInvestmentStatus(
    id: string,
    status: EmulatorInvestmentStatus | string,
    options?: { cancellationReason?: string },
  ): EmulatorInvestment;
  advanceInvestment(id: string): EmulatorInvestment;
  configureWebhooks(config: EmulatorWebhookConfig | null): void;
  webhookDeliveries(): EmulatorWebhookDelivery[];
  holdWebhooks(): void;
  releaseWebhooks(order?: EmulatorReleaseOrder): Promise<void>;
  duplicateWebhooks(count?: number): void;
  webhooksIdle(timeoutMs?: number): Promise<void>;
  seedInvestments(count: number, options?: SeedInvestmentsOptions): string[];
  reset(): void;
}
