import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { EmulatorDomain } from './emulator-domain';
import { buildApiRoutes } from './emulator-api.routes';
import { EmulatorFaults } from './emulator-faults';
import { sendJson } from './emulator-http';
import { EmulatorIdempotencyStore } from './emulator-idempotency.store';
import { investmentMoney, zeroMoney } from './emulator-money';
import { EmulatorOAuth } from './emulator-oauth';
import { DEFAULT_EMULATOR_SEED, EMULATOR_CAMPAIGN_ID } from './emulator-seed.constants';
import { EmulatorStateStore } from './emulator-state.store';
import { EmulatorWebhookSender } from './emulator-webhook.sender';
import { handleControlRequest } from './emulator-control.api';
import { exampleInvestorInput } from './emulator-examples';
import { EmulatorRequestLog } from './emulator-request.log';
import {
  EMULATOR_API_BASE_PATH,
  EMULATOR_TOKEN_PATH,
  EmulatorRequestHandler,
} from './emulator-request.handler';
import {
  CASHLINK_SCOPES,
  type EmulatorCampaign,
  type EmulatorControls,
  type EmulatorDocument,
  type EmulatorFaultSpec,
  type EmulatorIdentification,
  type EmulatorInvestment,
  type EmulatorInvestmentStatus,
  type EmulatorInvestor,
  type EmulatorProduct,
  type EmulatorReleaseOrder,
  type EmulatorRequestLogEntry,
  type EmulatorSeed,
  type SeedInvestmentsOptions,
  type EmulatorWallet,
  type EmulatorWebhookConfig,
  type EmulatorWebhookDelivery,
} from './emulator.types';
import { validateInvestor } from './investor.validation';

export type { SeedInvestmentsOptions } from './emulator.types';

export { CONTROL_PREFIX, EMULATOR_API_BASE_PATH, EMULATOR_TOKEN_PATH } from './emulator-request.handler';

/** Client id the emulator accepts unless configured otherwise. */
export const DEFAULT_EMULATOR_CLIENT_ID = 'emulator-client';
/** Client secret the emulator accepts unless configured otherwise. */
export const DEFAULT_EMULATOR_CLIENT_SECRET = 'emulator-secret';

/** Options of `startCashlinkEmulator`. */
export interface CashlinkEmulatorOptions {
  /** TCP port; 0 picks a free one. @default 0 */
  port?: number;
  /** Interface to bind. @default '127.0.0.1' */
  host?: string;
  /** The OAuth client id the token endpoint accepts. @default 'emulator-client' */
  clientId?: string;
  /** The OAuth client secret the token endpoint accepts. @default 'emulator-secret' */
  clientSecret?: string;
  /** Scopes the client may obtain (and gets when it asks for none). @default all five scopes of the contract */
  scopes?: readonly string[];
  /** Lifetime of issued tokens (`expires_in`). @default 3600 */
  tokenLifetimeSeconds?: number;
  /** Largest accepted JSON body; larger answers 413. @default 1048576 (1 MiB) */
  maxJsonBodyBytes?: number;
  /** Largest accepted document; larger answers 413. @default 10485760 (10 MiB) */
  maxDocumentBytes?: number;
  /** Whether investments without `signed_at` start a web-based subscription (else 400). @default false */
  webBasedSubscription?: boolean;
  /** Products and campaigns to start with. @default DEFAULT_EMULATOR_SEED */
  seed?: EmulatorSeed;
  /** Where status changes are sent. @default null (no webhooks) */
  webhooks?: EmulatorWebhookConfig | null;
  /** The request log keeps at most this many entries (oldest dropped). @default 200000 */
  maxLogEntries?: number;
}

/**
 * A stateful Cashlink on loopback: the contract's endpoints, OAuth, idempotency, faults and webhooks,
 * with control methods for tests. Start it with `startCashlinkEmulator()`.
 */
export class CashlinkEmulator implements EmulatorControls {
  /** `http://127.0.0.1:<port>/api/external/distributor` */
  readonly baseUrl: string;
  /** `http://127.0.0.1:<port>/api/external/oauth/token` */
  readonly tokenUrl: string;
  /** `http://127.0.0.1:<port>` */
  readonly origin: string;
  /** The port it listens on (the one picked when `port` was 0). */
  readonly port: number;
  /** The client id the token endpoint accepts. */
  readonly clientId: string;
  /** The client secret the token endpoint accepts (a test double's secret, not a real one). */
  readonly clientSecret: string;

  private readonly settings: Required<Omit<CashlinkEmulatorOptions, 'webhooks' | 'seed'>>;
  private readonly store: EmulatorStateStore;
  private readonly oauth: EmulatorOAuth;
  private readonly faults = new EmulatorFaults();
  private readonly idempotency = new EmulatorIdempotencyStore();
  private readonly webhooks = new EmulatorWebhookSender();
  private readonly domain: EmulatorDomain;
  private readonly log: EmulatorRequestLog;
  private readonly sockets = new Set<Socket>();
  // Every delayed request listens on it while it waits: many at once is normal, not a leak.
  private readonly closing = withUnlimitedListeners(new AbortController());

  /** @internal use `startCashlinkEmulator()` */
  constructor(
    private readonly server: Server,
    options: CashlinkEmulatorOptions,
  ) {
    this.settings = {
      port: options.port ?? 0,
      host: options.host ?? '127.0.0.1',
      clientId: options.clientId ?? DEFAULT_EMULATOR_CLIENT_ID,
      clientSecret: options.clientSecret ?? DEFAULT_EMULATOR_CLIENT_SECRET,
      scopes: options.scopes ?? CASHLINK_SCOPES,
      tokenLifetimeSeconds: options.tokenLifetimeSeconds ?? 3600,
      maxJsonBodyBytes: options.maxJsonBodyBytes ?? 1024 * 1024,
      maxDocumentBytes: options.maxDocumentBytes ?? 10 * 1024 * 1024,
      webBasedSubscription: options.webBasedSubscription ?? false,
      maxLogEntries: options.maxLogEntries ?? 200_000,
    };
    this.clientId = this.settings.clientId;
    this.clientSecret = this.settings.clientSecret;
    const address = server.address() as AddressInfo;
    this.port = address.port;
    // Bound to every interface: clients still reach it on loopback.
    const reachable =
      address.address === '0.0.0.0' ? '127.0.0.1' : address.address === '::' ? '::1' : address.address;
    const host = reachable.includes(':') ? `[${reachable}]` : reachable;
    this.origin = `http://${host}:${address.port}`;
    this.baseUrl = `${this.origin}${EMULATOR_API_BASE_PATH}`;
    this.tokenUrl = `${this.origin}${EMULATOR_TOKEN_PATH}`;
    this.store = new EmulatorStateStore(options.seed ?? DEFAULT_EMULATOR_SEED);
    this.oauth = new EmulatorOAuth({
      clientId: this.clientId,
      clientSecret: this.clientSecret,
      allowedScopes: this.settings.scopes,
      tokenLifetimeSeconds: this.settings.tokenLifetimeSeconds,
    });
    this.domain = new EmulatorDomain(
      this.store,
      (investment, changedAt) =>
        this.webhooks.notify({
          investment_id: investment.id,
          status: investment.status,
          changed_at: changedAt,
        }),
      () => this.origin,
    );
    this.log = new EmulatorRequestLog(this.settings.maxLogEntries);
    const handler = new EmulatorRequestHandler({
      origin: this.origin,
      settings: this.settings,
      oauth: this.oauth,
      faults: this.faults,
      idempotency: this.idempotency,
      routes: buildApiRoutes(this.store, this.domain, () => this.settings),
      log: this.log,
      control: (req, res, url) => handleControlRequest(this, req, res, url),
      closing: this.closing.signal,
    });
    if (options.webhooks) this.webhooks.configure(options.webhooks);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      handler.handle(req, res).catch(() => {
        // Last line of defence: nothing a request does may crash the emulator.
        if (!res.headersSent) sendJson(res, 500, { detail: 'Internal emulator error.' });
        else res.destroy();
      });
    });
    server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    server.on('clientError', (_error, socket: Socket) => {
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
      else socket.destroy();
    });
  }

  // ---- control methods -------------------------------------------------------------------

  /** Injects a fault; returns its id (for `clearFaults(id)`). */
  injectFault(spec: EmulatorFaultSpec): string {
    return this.faults.inject(spec);
  }

  /** Removes one fault, or all of them. */
  clearFaults(id?: string): void {
    this.faults.clear(id);
  }

  /** Every token issued so far is expired now (the next call with it answers 401). */
  expireAllTokens(): void {
    this.oauth.expireAll();
  }

  /** The request log (no secrets, no bodies), oldest first. */
  requests(): EmulatorRequestLogEntry[] {
    return this.log.all();
  }

  /** How many requests reached the token endpoint. */
  tokenRequests(): number {
    return this.oauth.tokenRequests;
  }

  investors(): EmulatorInvestor[] {
    return structuredClone([...this.store.investors.all()]);
  }

  investments(): EmulatorInvestment[] {
    return structuredClone([...this.store.investments.all()]);
  }

  /** Stored documents: filename, content_type, size and sha256 (the bytes are not kept). */
  documents(): EmulatorDocument[] {
    return structuredClone([...this.store.documents.all()]);
  }

  identifications(): EmulatorIdentification[] {
    return structuredClone([...this.store.identifications.all()]);
  }

  wallets(): EmulatorWallet[] {
    return structuredClone([...this.store.wallets.all()]);
  }

  products(): EmulatorProduct[] {
    return structuredClone([...this.store.products.all()]);
  }

  campaigns(): EmulatorCampaign[] {
    return structuredClone([...this.store.campaigns.all()]);
  }

  /** How many effects each idempotency key produced (1 per key when idempotency holds). */
  effectsByIdempotencyKey(): Record<string, number> {
    return this.idempotency.effectsByKey();
  }

  /** Forgets every stored idempotency key, as Cashlink may after its retention period. */
  forgetIdempotencyKeys(): void {
    this.idempotency.forgetAll();
  }

  /** Sets an investment's status (sends a webhook). Throws for unknown ids/statuses or a final investment. */
  setInvestmentStatus(
    id: string,
    status: EmulatorInvestmentStatus | string,
    options: { cancellationReason?: string } = {},
  ): EmulatorInvestment {
    return structuredClone(this.domain.setStatus(id, status, options));
  }

  /** Moves an investment one step along the lifecycle (sends a webhook). */
  advanceInvestment(id: string): EmulatorInvestment {
    return structuredClone(this.domain.advance(id));
  }

  /** Sets (or with `null` removes) the webhook target; running deliveries of the old target stop. */
  configureWebhooks(config: EmulatorWebhookConfig | null): void {
    this.webhooks.configure(config);
  }

  /** Every webhook attempt with its answer (no secrets). */
  webhookDeliveries(): EmulatorWebhookDelivery[] {
    return this.webhooks.deliveries();
  }

  /** Queues status changes instead of sending them, until `releaseWebhooks()`. */
  holdWebhooks(): void {
    this.webhooks.hold();
  }

  /** Sends the held changes one after another in the given order; resolves when all were delivered. */
  releaseWebhooks(order: EmulatorReleaseOrder = 'fifo'): Promise<void> {
    return this.webhooks.release(order);
  }

  /** The next `count` status changes are delivered twice. */
  duplicateWebhooks(count = 1): void {
    this.webhooks.duplicateNext(count);
  }

  /** Resolves when no webhook delivery is running (held ones do not count); rejects after `timeoutMs`. */
  webhooksIdle(timeoutMs?: number): Promise<void> {
    return this.webhooks.idle(timeoutMs);
  }

  /**
   * Creates `count` investments directly in the store (no HTTP, no webhooks, no validation beyond the
   * campaign's existence), for pagination tests and benchmarks. Returns their ids, oldest first.
   */
  seedInvestments(count: number, options: SeedInvestmentsOptions = {}): string[] {
    const campaign = this.store.campaigns.get(options.campaignId ?? EMULATOR_CAMPAIGN_ID);
    if (!campaign) throw new Error(`Unknown campaign ${options.campaignId ?? EMULATOR_CAMPAIGN_ID}`);
    let investorId = options.investorId;
    if (investorId === undefined) {
      const example = validateInvestor(exampleInvestorInput(), () => true);
      investorId = this.domain.createInvestor(example.out).id;
    } else if (!this.store.investors.get(investorId)) {
      throw new Error(`Unknown investor ${investorId}`);
    }
    const units = options.units ?? 1;
    const status = options.status ?? 'KYC_PENDING';
    const money = investmentMoney(campaign.price_per_token, units);
    const ids: string[] = [];
    const createdAt = new Date().toISOString();
    for (let i = 0; i < count; i += 1) {
      const id = randomUUID();
      const paid = status === 'PAID' || status === 'DELIVERED';
      this.store.investments.add({
        id,
        investor_id: investorId,
        campaign_id: campaign.id,
        status,
        units,
        investment_amount: { ...money.investment_amount },
        disagio: { ...money.disagio },
        accrued_interest: { ...money.accrued_interest },
        payment_total: { ...money.payment_total },
        remaining_amount: paid
          ? zeroMoney(money.payment_total.decimals, money.payment_total.currency)
          : { ...money.remaining_amount },
        signed_at: createdAt,
        accepted_at: null,
        paid_at: null,
        delivered_at: null,
        cancellation_date: null,
        cancellation_reason: null,
        start_url: null,
        wallet: null,
        signed_documents: [],
        created_at: createdAt,
      });
      ids.push(id);
    }
    this.store.allocatedUnits.set(
      campaign.id,
      (this.store.allocatedUnits.get(campaign.id) ?? 0) + units * count,
    );
    return ids;
  }

  /**
   * Back to the start: objects (seed restored), request log, token request count, faults,
   * idempotency keys and effect counts, webhook target, queue and history. Issued tokens stay valid.
   */
  reset(): void {
    this.store.reset();
    this.log.reset();
    this.oauth.resetCounters();
    this.faults.clear();
    this.idempotency.reset();
    this.webhooks.reset();
  }

  /** Stops the server, cuts open connections and stops webhook deliveries. */
  async close(): Promise<void> {
    this.closing.abort();
    this.webhooks.close();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
      for (const socket of this.sockets) socket.destroy();
    });
  }
}

/** Starts an emulator on loopback and resolves when it listens. */
function validateOptions(options: CashlinkEmulatorOptions): void {
  const problems: string[] = [];
  const positive = (name: keyof CashlinkEmulatorOptions, min = 1): void => {
    const value = options[name];
    if (value !== undefined && !(typeof value === 'number' && Number.isInteger(value) && value >= min)) {
      problems.push(`${name} must be an integer >= ${min}, got ${String(value)}`);
    }
  };
  positive('port', 0);
  positive('tokenLifetimeSeconds');
  positive('maxJsonBodyBytes');
  positive('maxDocumentBytes');
  positive('maxLogEntries');
  const unknownScopes = (options.scopes ?? []).filter(
    (s) => !(CASHLINK_SCOPES as readonly string[]).includes(s),
  );
  if (unknownScopes.length > 0) problems.push(`scopes has unknown scopes: ${unknownScopes.join(', ')}`);
  for (const campaign of options.seed?.campaigns ?? []) {
    if (!options.seed?.products.some((p) => p.id === campaign.product_id)) {
      problems.push(`seed campaign ${campaign.id} refers to a product that is not in the seed`);
    }
  }
  if (problems.length > 0) throw new Error(`Invalid Cashlink emulator options: ${problems.join('; ')}`);
}

export async function startCashlinkEmulator(
  options: CashlinkEmulatorOptions = {},
): Promise<CashlinkEmulator> {
  validateOptions(options);
  const server = createServer({ keepAliveTimeout: 5000 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  return new CashlinkEmulator(server, options);
}

function withUnlimitedListeners(controller: AbortController): AbortController {
  setMaxListeners(0, controller.signal);
  return controller;
}
