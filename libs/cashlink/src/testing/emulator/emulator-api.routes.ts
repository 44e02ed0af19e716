import type { EmulatorStateStore } from './emulator-state.store';
import { EmulatorDomain } from './emulator-domain';
import { EmulatorHttpError, detailError } from './emulator-http';
import { paginate } from './emulator-pagination';
import { hasErrors, isObject, notADictionary, type FieldErrors } from './emulator-validation';
import { validateInvestor } from './investor.validation';
import { validateIdentification } from './identification.validation';
import { validateGenericWallet } from './wallet.validation';
import { validateInvestment } from './investment.validation';
import type { EmulatorDocument } from './emulator.types';
import { randomUUID } from 'node:crypto';

/** A parsed upload: metadata of the `file` part. */
export interface UploadedFile {
  filename: string;
  contentType: string;
  size: number;
  sha256: string;
}

/** What a handler gets. */
export interface ApiContext {
  params: string[];
  query: URLSearchParams;
  body: unknown;
  file?: UploadedFile;
  /** Absolute URL of the request path without query (for pagination links). */
  absolutePath: string;
}

/** What a handler answers; `effect` says whether something was created or changed. */
export interface ApiResult {
  status: number;
  body: unknown;
  effect: boolean;
}

/** One API endpoint of the contract's §3. */
export interface ApiRoute {
  method: 'GET' | 'POST' | 'PATCH';
  /** Path template relative to the API base, e.g. `/v2/investors/{id}/`. */
  template: string;
  regex: RegExp;
  scope: string;
  body: 'none' | 'json' | 'optional-json' | 'multipart';
  handle(ctx: ApiContext): ApiResult;
}

function compile(template: string): RegExp {
  const pattern = template
    .split(/\{[a-z_]+\}/)
    .map((part) => part.replace(/[.*+?^$()|[\]\\]/g, '\\$&'))
    .join('([^/]+)');
  return new RegExp(`^${pattern}$`);
}

function invalid(errors: FieldErrors): EmulatorHttpError {
  return new EmulatorHttpError(400, errors);
}

function requireObject(body: unknown): Record<string, unknown> {
  if (!isObject(body)) throw invalid(notADictionary(body));
  return body;
}

function notFound(kind: string): EmulatorHttpError {
  return detailError(404, `No ${kind} matches the given query.`);
}

/** The API routes, bound to the store. */
export function buildApiRoutes(
  store: EmulatorStateStore,
  domain: EmulatorDomain,
  settings: () => { webBasedSubscription: boolean },
): ApiRoute[] {
  const documentExists = (id: string): boolean => store.documents.get(id) !== undefined;
  const investorOf = (id: string | undefined) => {
    const investor = id === undefined ? undefined : store.investors.get(id);
    if (!investor) throw notFound('investor');
    return investor;
  };
  const routes: Omit<ApiRoute, 'regex'>[] = [
    {
      method: 'POST',
      template: '/v2/documents/',
      scope: 'documents:write',
      body: 'multipart',
      handle: ({ file }) => {
        if (!file) throw invalid({ file: ['No file was submitted.'] });
        const document: EmulatorDocument = {
          id: randomUUID(),
          filename: file.filename,
          content_type: file.contentType,
          size: file.size,
          sha256: file.sha256,
          created_at: new Date().toISOString(),
        };
        store.documents.add(document);
        return { status: 201, body: { ...document }, effect: true };
      },
    },
    {
      method: 'POST',
      template: '/v2/investors/',
      scope: 'investors:write',
      body: 'json',
      handle: ({ body }) => {
        const result = validateInvestor(requireObject(body), documentExists);
        if (hasErrors(result.errors)) throw invalid(result.errors);
        return { status: 201, body: structuredClone(domain.createInvestor(result.out)), effect: true };
      },
    },
    {
      method: 'GET',
      template: '/v2/investors/',
      scope: 'investors:read',
      body: 'none',
      handle: ({ query, absolutePath }) => ({
        status: 200,
        body: paginate(store.investors, query, absolutePath),
        effect: false,
      }),
    },
    {
      method: 'GET',
      template: '/v2/investors/{id}/',
      scope: 'investors:read',
      body: 'none',
      handle: ({ params }) => ({ status: 200, body: investorOf(params[0]), effect: false }),
    },
    {
      method: 'PATCH',
      template: '/v2/investors/{id}/',
      scope: 'investors:write',
      body: 'json',
      handle: ({ params, body }) => {
        const investor = investorOf(params[0]);
        const patch = requireObject(body);
        const existing = {
          ...(investor as unknown as Record<string, unknown>),
          is_beneficiary: store.investorFacts.get(investor.id)?.isBeneficiary,
        };
        // Validate the merged result: a PATCH may not leave the investor invalid.
        const result = validateInvestor({ ...existing, ...patch }, documentExists, existing);
        if (hasErrors(result.errors)) throw invalid(result.errors);
        const changes: Record<string, unknown> = {};
        for (const key of Object.keys(patch)) if (key in result.out) changes[key] = result.out[key];
        return { status: 200, body: structuredClone(domain.updateInvestor(investor, changes)), effect: true };
      },
    },
    {
      method: 'POST',
      template: '/v2/investors/{id}/identifications/',
      scope: 'investors:write',
      body: 'json',
      handle: ({ params, body }) => {
        const investor = investorOf(params[0]);
        const result = validateIdentification(requireObject(body), documentExists);
        if (hasErrors(result.errors)) throw invalid(result.errors);
        return { status: 201, body: domain.createIdentification(investor.id, result.out), effect: true };
      },
    },
    {
      method: 'POST',
      template: '/v2/investors/{id}/wallets/eth-generic/',
      scope: 'investors:write',
      body: 'json',
      handle: ({ params, body }) => {
        const investor = investorOf(params[0]);
        const result = validateGenericWallet(requireObject(body));
        if (hasErrors(result.errors)) throw invalid(result.errors);
        requireIdentified(store, investor.id);
        const wallet = domain.createWallet(
          investor.id,
          'eth-generic',
          result.out.address as string,
          result.out.receiving_enabled as boolean,
        );
        return { status: 201, body: { ...wallet }, effect: true };
      },
    },
    {
      method: 'POST',
      template: '/v2/investors/{id}/wallets/eth-managed/',
      scope: 'investors:write',
      body: 'optional-json',
      handle: ({ params }) => {
        const investor = investorOf(params[0]);
        requireIdentified(store, investor.id);
        if (store.investorFacts.get(investor.id)?.managedWalletId) {
          throw invalid({ non_field_errors: ['The investor already has a managed wallet.'] });
        }
        const wallet = domain.createWallet(investor.id, 'eth-managed', EmulatorDomain.managedAddress(), true);
        return { status: 201, body: { ...wallet }, effect: true };
      },
    },
    {
      method: 'GET',
      template: '/v2/products/',
      scope: 'investments:read',
      body: 'none',
      handle: ({ query, absolutePath }) => ({
        status: 200,
        body: paginate(store.products, query, absolutePath),
        effect: false,
      }),
    },
    {
      method: 'GET',
      template: '/v2/products/{id}/',
      scope: 'investments:read',
      body: 'none',
      handle: ({ params }) => {
        const product = store.products.get(params[0] ?? '');
        if (!product) throw notFound('product');
        return { status: 200, body: product, effect: false };
      },
    },
    {
      method: 'GET',
      template: '/v2/campaigns/',
      scope: 'investments:read',
      body: 'none',
      handle: ({ query, absolutePath }) => ({
        status: 200,
        body: paginate(store.campaigns, query, absolutePath),
        effect: false,
      }),
    },
    {
      method: 'GET',
      template: '/v2/campaigns/{id}/',
      scope: 'investments:read',
      body: 'none',
      handle: ({ params }) => {
        const campaign = store.campaigns.get(params[0] ?? '');
        if (!campaign) throw notFound('campaign');
        return { status: 200, body: campaign, effect: false };
      },
    },
    {
      method: 'POST',
      template: '/v2/investments/',
      scope: 'investments:write',
      body: 'json',
      handle: ({ body }) => {
        const result = validateInvestment(requireObject(body), store, settings().webBasedSubscription);
        if (!result.value) throw invalid(result.errors);
        return { status: 201, body: structuredClone(domain.createInvestment(result.value)), effect: true };
      },
    },
    {
      method: 'GET',
      template: '/v2/investments/',
      scope: 'investments:read',
      body: 'none',
      handle: ({ query, absolutePath }) => ({
        status: 200,
        body: paginate(store.investments, query, absolutePath),
        effect: false,
      }),
    },
    {
      method: 'GET',
      template: '/v2/investments/{id}/',
      scope: 'investments:read',
      body: 'none',
      handle: ({ params }) => {
        const investment = store.investments.get(params[0] ?? '');
        if (!investment) throw notFound('investment');
        return { status: 200, body: investment, effect: false };
      },
    },
  ];
  return routes.map((route) => ({ ...route, regex: compile(route.template) }));
}

function requireIdentified(store: EmulatorStateStore, investorId: string): void {
  // Fact: a wallet needs a successful identification of the investor first.
  if (!store.investorFacts.get(investorId)?.identified) {
    throw invalid({
      non_field_errors: ['The investor needs a successful identification before a wallet can be added.'],
    });
  }
}
