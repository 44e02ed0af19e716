import { REQUEST_ID_HEADER } from '../cashlink.constants';
import { headerValue, type TransportHeaders } from '../transport/cashlink-transport';
import {
  CashlinkApiError,
  type CashlinkApiErrorDetails,
  CashlinkAuthenticationError,
  CashlinkConflictError,
  type CashlinkFieldErrors,
  CashlinkNotFoundError,
  CashlinkPayloadTooLargeError,
  CashlinkPermissionError,
  CashlinkRateLimitError,
  CashlinkServerError,
  CashlinkValidationError,
} from './cashlink-api.error';

/** A non-2xx answer, as the transport saw it. */
export interface CashlinkErrorAnswer {
  status: number;
  /** The body as received (text); parsed here when it is JSON. */
  bodyText: string;
  /** Response headers as received (lower-case names). */
  headers: TransportHeaders;
  method: string;
  /** Path relative to the API base, without query. */
  path: string;
  idempotencyKey?: string;
  /** Appended to the message, e.g. why the request was not retried. */
  note?: string;
}

/**
 * The one mapping from a non-2xx answer to the error hierarchy. Messages name the status, the call and
 * what to do, and for 400 the *names* of invalid fields; never Cashlink's texts (a DRF field message or
 * `detail` can echo submitted values or name a person): those stay in `body` / `fieldErrors`.
 */
export function createCashlinkApiError(answer: CashlinkErrorAnswer): CashlinkApiError {
  const body = parseBody(answer.bodyText);
  const details: CashlinkApiErrorDetails = {
    status: answer.status,
    body,
    requestId: headerValue(answer.headers, REQUEST_ID_HEADER) || undefined,
    method: answer.method,
    path: answer.path,
    idempotencyKey: answer.idempotencyKey,
  };
  const call = `${answer.method} ${answer.path}`;
  const suffix =
    (details.requestId ? ` (request id ${details.requestId})` : '') + (answer.note ? ` ${answer.note}` : '');

  switch (answer.status) {
    case 400: {
      const fieldErrors = parseFieldErrors(body);
      const fields = flattenFieldNames(fieldErrors);
      const what = fields.length > 0 ? `invalid: ${fields.join(', ')}` : 'no field named (see error.body)';
      return new CashlinkValidationError(
        `Cashlink rejected ${call} (400), ${what}. See error.fieldErrors for the messages${suffix}`,
        details,
        fieldErrors,
      );
    }
    case 401:
      return new CashlinkAuthenticationError(
        `Cashlink refused the access token for ${call} (401). Check clientId, clientSecret and tokenUrl${suffix}`,
        details,
      );
    case 403:
      return new CashlinkPermissionError(
        `Cashlink denied ${call} (403). The token may lack a scope this call needs; check the scopes option${suffix}`,
        details,
      );
    case 404:
      return new CashlinkNotFoundError(
        `Cashlink found nothing at ${call} (404). Check the id; it may belong to another distributor${suffix}`,
        details,
      );
    case 409:
      return new CashlinkConflictError(
        `Cashlink answered 409 to ${call}. The idempotency key was used for another request, or its first ` +
          `request is still running; repeat later with the same key and body, or use a new key for a new request${suffix}`,
        details,
      );
    case 413:
      return new CashlinkPayloadTooLargeError(
        `Cashlink refused ${call} as too large (413)${suffix}`,
        details,
      );
    case 429: {
      const retryAfterMs = parseRetryAfter(headerValue(answer.headers, 'retry-after'));
      const wait =
        retryAfterMs === undefined ? '' : ` Cashlink asks to wait ${Math.ceil(retryAfterMs / 1000)} s.`;
      return new CashlinkRateLimitError(
        `Cashlink rate-limited ${call} (429).${wait} Slow down or retry later${suffix}`,
        details,
        retryAfterMs,
      );
    }
  }
  if (answer.status >= 500) {
    return new CashlinkServerError(
      `Cashlink failed on ${call} (${answer.status}). Safe requests were retried; try again later${suffix}`,
      details,
    );
  }
  return new CashlinkApiError(`Cashlink answered ${answer.status} to ${call}${suffix}`, details);
}

/** JSON when it parses, else the raw text (5xx bodies are often HTML or empty). */
export function parseBody(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** `Retry-After` as seconds or an HTTP date, in ms; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/**
 * DRF field errors: `{ field: ["msg"], nested: { field: [...] }, list_field: [{}, { field: [...] }] }`,
 * a bare list `["msg"]` (a serializer-level error) or `{ detail: "msg" }`. Lists of objects become
 * objects keyed by index so that the shape stays `CashlinkFieldErrors`.
 */
export function parseFieldErrors(body: unknown): CashlinkFieldErrors {
  if (Array.isArray(body)) {
    const messages = body.filter((m): m is string => typeof m === 'string');
    return messages.length > 0 ? { non_field_errors: messages } : {};
  }
  if (body === null || typeof body !== 'object') return {};
  const out: CashlinkFieldErrors = {};
  for (const [field, value] of Object.entries(body as Record<string, unknown>)) {
    if (field === 'detail' && typeof value === 'string') continue;
    const parsed = parseFieldValue(value);
    if (parsed !== undefined) out[field] = parsed;
  }
  return out;
}

function parseFieldValue(value: unknown): string[] | CashlinkFieldErrors | undefined {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) {
    if (value.every((v) => typeof v === 'string')) return value as string[];
    const nested: CashlinkFieldErrors = {};
    value.forEach((item, index) => {
      const parsed = parseFieldValue(item);
      if (
        parsed !== undefined &&
        !(typeof parsed === 'object' && !Array.isArray(parsed) && isEmpty(parsed))
      ) {
        nested[String(index)] = parsed;
      }
    });
    return nested;
  }
  if (value !== null && typeof value === 'object') return parseFieldErrors(value);
  return undefined;
}

function isEmpty(o: object): boolean {
  return Object.keys(o).length === 0;
}

/** `natural_person.birth_date`-style names of every field with a message. */
export function flattenFieldNames(errors: CashlinkFieldErrors, prefix = ''): string[] {
  const names: string[] = [];
  for (const [field, value] of Object.entries(errors)) {
    const name = prefix ? `${prefix}.${field}` : field;
    if (Array.isArray(value)) names.push(name);
    else names.push(...flattenFieldNames(value, name));
  }
  return names;
}
