import type { CashlinkHttpClient } from '../http/cashlink-http.client';
import type { Page } from '../pagination/page';
import type { CashlinkIntent } from './cashlink-intent.entity';
import {
  CashlinkReconcileCandidateError,
  CashlinkReconcileUnsupportedError,
} from './cashlink-reconciliation.error';
import type {
  CashlinkReconcileCandidate,
  CashlinkReconcileOptions,
  CashlinkReconciliation,
} from './cashlink-reconciliation.types';
import type { StoredRequest } from './intent-request';
import { parseStoredJson } from './stored-json';

const PAGE_SIZE = 100;

const DEFAULT_SKEW_MS = 5 * 60_000;
const DEFAULT_MAX_PAGES = 10;

/** Fields compared between a stored create request and a listed object, by list path. */
const LIST_LOOKUPS: Record<string, { path: string; fields: string[] }> = {
  'investments.create': {
    path: '/v2/investments/',
    fields: ['investor_id', 'campaign_id', 'units', 'signed_at', 'accepted_at', 'paid_at', 'wallet'],
  },
  'investors.create': {
    path: '/v2/investors/',
    fields: [
      'natural_person.forename',
      'natural_person.surname',
      'natural_person.birth_date',
      'legal_person.company_name',
      'communication.email',
      'bank_account.iban',
    ],
  },
};

/** Why an operation has no lookup (Cashlink's API has no read endpoint for what it creates). */
const NO_LOOKUP: Record<string, string> = {
  'documents.upload': 'Cashlink has no endpoint to list or read documents',
  'investors.identifications.create': 'Cashlink has no endpoint to list or read identifications',
  'investors.wallets.create-generic': 'Cashlink has no endpoint to list or read wallets',
  'investors.wallets.create-managed': 'Cashlink has no endpoint to list or read wallets',
};

function valueAt(object: unknown, path: string): unknown {
  let value: unknown = object;
  for (const part of path.split('.')) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

/** Equal as Cashlink would store them: timestamps compared as instants, numbers as numbers. */
function sameValue(a: unknown, b: unknown): boolean {
  if (typeof a === 'string' && typeof b === 'string') {
    if (a === b) return true;
    if (/^\d{4}-\d{2}-\d{2}T/.test(a) && /^\d{4}-\d{2}-\d{2}T/.test(b)) {
      return Date.parse(a) === Date.parse(b);
    }
    return a.trim().toLowerCase() === b.trim().toLowerCase();
  }
  if (typeof a === 'number' || typeof b === 'number') return Number(a) === Number(b);
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * Where at Cashlink an intent's object could be: candidates by the stored request's fields in the time
 * window of its attempts, and the detail path of a named object. Reads only.
 */
export class IntentCandidateLookup {
  constructor(private readonly http: CashlinkHttpClient) {}

  /** Objects at Cashlink that `intent` may have created. */
  async find(
    intent: CashlinkIntent,
    options: CashlinkReconcileOptions = {},
  ): Promise<CashlinkReconciliation> {
    const key = intent.key;
    const skew = options.skewMs ?? DEFAULT_SKEW_MS;
    const lastAttempt = intent.settledAt ?? intent.updatedAt;
    const window = { from: new Date(intent.createdAt - skew), to: new Date(lastAttempt + skew) };
    const base: Omit<CashlinkReconciliation, 'lookup' | 'candidates' | 'scanned' | 'complete'> = {
      key,
      operation: intent.operation,
      state: intent.state,
      window,
    };
    const request = parseStoredJson<StoredRequest>(intent.requestBody);
    const noLookup = NO_LOOKUP[intent.operation];
    if (noLookup !== undefined || !request) {
      return {
        ...base,
        lookup: 'none',
        candidates: [],
        scanned: 0,
        complete: true,
        note: request
          ? `${noLookup}: check with Cashlink out of band, then resolve as send_again or abandoned`
          : 'the stored request was purged or is unreadable; nothing to compare',
      };
    }
    if (intent.operation === 'investors.update') {
      // A PATCH names its object: read it and compare the patched fields.
      const investor = await this.http.request<Record<string, unknown>>({ method: 'GET', path: intent.path });
      const patch = (request.json ?? {}) as Record<string, unknown>;
      const fields = Object.keys(patch);
      const matched = fields.filter((f) => sameValue(patch[f], investor.data[f]));
      const candidates: CashlinkReconcileCandidate[] =
        matched.length === fields.length
          ? [{ id: String(investor.data.id), matched, object: investor.data }]
          : [];
      return {
        ...base,
        lookup: 'get',
        candidates,
        scanned: 1,
        complete: true,
        note:
          candidates.length === 0
            ? 'the investor does not carry the patched values: the PATCH was probably not applied'
            : 'the investor carries the patched values (they may also have been set by another change)',
      };
    }
    const lookup = LIST_LOOKUPS[intent.operation];
    if (!lookup) {
      return {
        ...base,
        lookup: 'none',
        candidates: [],
        scanned: 0,
        complete: true,
        note: `no lookup is known for ${intent.operation}`,
      };
    }
    const wanted = lookup.fields
      .map((field) => ({ field, value: valueAt(request.json, field) }))
      .filter((f) => f.value !== undefined && f.value !== null);
    // Cashlink lists oldest first with no filter (cashlink-api.md §2): read the newest pages, backwards,
    // until objects are older than the window or maxPages is reached.
    const first = await this.page(lookup.path, 1);
    const lastPage = Math.max(1, Math.ceil(first.count / PAGE_SIZE));
    const maxPages = options.maxPages ?? DEFAULT_MAX_PAGES;
    const candidates: CashlinkReconcileCandidate[] = [];
    let scanned = 0;
    let complete = false;
    for (let n = lastPage, read = 0; n >= 1; n--, read++) {
      if (read >= maxPages) break;
      const page = n === 1 ? first : await this.page(lookup.path, n);
      let olderThanWindow = false;
      for (const object of [...page.results].reverse()) {
        scanned++;
        const createdAt = valueAt(object, 'created_at');
        const created = typeof createdAt === 'string' ? Date.parse(createdAt) : NaN;
        if (!Number.isNaN(created)) {
          if (created < window.from.getTime()) {
            olderThanWindow = true;
            continue;
          }
          if (created > window.to.getTime()) continue;
        }
        const matched = wanted.filter((w) => sameValue(w.value, valueAt(object, w.field)));
        if (matched.length === wanted.length) {
          candidates.push({
            id: String(valueAt(object, 'id')),
            matched: matched.map((m) => m.field),
            ...(typeof createdAt === 'string' ? { createdAt } : {}),
            object,
          });
        }
      }
      if (olderThanWindow || n === 1) {
        complete = true;
        break;
      }
    }
    return {
      ...base,
      lookup: 'list',
      candidates: candidates.reverse(),
      scanned,
      complete,
      ...(complete ? {} : { note: `stopped after ${maxPages} pages; raise maxPages to look further back` }),
    };
  }

  /** The detail path of the object a created intent stands for. */
  objectPath(intent: CashlinkIntent, objectId: string): string {
    if (NO_LOOKUP[intent.operation] !== undefined) {
      throw new CashlinkReconcileUnsupportedError(intent.key, intent.operation);
    }
    if (intent.operation === 'investors.update') {
      const named = decodeURIComponent(intent.path.split('/').filter(Boolean).pop() ?? '');
      if (named !== objectId) {
        throw new CashlinkReconcileCandidateError(
          intent.key,
          objectId,
          `the PATCH was for investor ${named}, not this one`,
        );
      }
      return intent.path;
    }
    const lookup = LIST_LOOKUPS[intent.operation];
    if (!lookup) throw new CashlinkReconcileUnsupportedError(intent.key, intent.operation);
    if (objectId === '.' || objectId === '..') {
      throw new CashlinkReconcileCandidateError(intent.key, objectId, 'not an id');
    }
    return `${lookup.path}${encodeURIComponent(objectId)}/`;
  }

  private async page(path: string, page: number): Promise<Page<Record<string, unknown>>> {
    const response = await this.http.request<Page<Record<string, unknown>>>({
      method: 'GET',
      path,
      query: { page, page_size: PAGE_SIZE },
    });
    return response.data;
  }
}
