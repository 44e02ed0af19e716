import { CashlinkError } from './cashlink.error';

/** What the library knows about a non-2xx answer from Cashlink. */
export interface CashlinkApiErrorDetails {
  /** HTTP status of the answer. */
  status: number;
  /** Parsed JSON body, or the raw text when the body is not JSON (5xx bodies often are not). */
  body: unknown;
  /** Cashlink's request id (`X-Request-Id`), when the answer carried one. Quote it to Cashlink support. */
  requestId?: string;
  method: string;
  /** Path relative to the API base, without query string. */
  path: string;
  /** The idempotency key the request carried, if any. */
  idempotencyKey?: string;
}

/**
 * Cashlink answered with a non-2xx status. Subclasses name the common cases.
 *
 * Cashlink's answer (`body`, and `fieldErrors` of a 400) can echo the submitted values, i.e. investor
 * data: it is reachable through these accessors only, never an own enumerable property, so that
 * `JSON.stringify(error)`, `util.inspect(error)` and a logger that prints the error object never show it.
 */
export class CashlinkApiError extends CashlinkError {
  readonly status: number;
  readonly #body: unknown;
  readonly requestId?: string;
  readonly method: string;
  readonly path: string;
  readonly idempotencyKey?: string;

  constructor(message: string, details: CashlinkApiErrorDetails, options?: { cause?: unknown }) {
    super(message, options);
    this.status = details.status;
    this.#body = details.body;
    this.requestId = details.requestId;
    this.method = details.method;
    this.path = details.path;
    this.idempotencyKey = details.idempotencyKey;
  }

  /** Cashlink's answer: parsed JSON, or the raw text when it is not JSON. May hold investor data. */
  get body(): unknown {
    return this.#body;
  }
}

/** Field errors in Django REST Framework's shape: `{ field: ["message"], nested: { field: [...] } }`. */
export type CashlinkFieldErrors = { [field: string]: string[] | CashlinkFieldErrors };

/** 400: Cashlink rejected the input. `fieldErrors` holds the DRF field messages, nested as the input. */
export class CashlinkValidationError extends CashlinkApiError {
  readonly #fieldErrors: CashlinkFieldErrors;
  constructor(message: string, details: CashlinkApiErrorDetails, fieldErrors: CashlinkFieldErrors) {
    super(message, details);
    this.#fieldErrors = fieldErrors;
  }

  /** Cashlink's messages by field (they may quote the submitted values: investor data). */
  get fieldErrors(): CashlinkFieldErrors {
    return this.#fieldErrors;
  }
}

/**
 * 401, or a failed token request: the client id, secret or token URL is wrong, or the token expired.
 * For a token request that got no answer, `status` is 0 and `cause` is the `CashlinkNetworkError` /
 * `CashlinkTimeoutError`; for a refused one, `cause` is the error its answer maps to.
 */
export class CashlinkAuthenticationError extends CashlinkApiError {}

/** 403: the token lacks a scope this call needs (check `scopes` in the module options). */
export class CashlinkPermissionError extends CashlinkApiError {}

/** 404: no such object, or not visible to this distributor. */
export class CashlinkNotFoundError extends CashlinkApiError {}

/** 409: an idempotency key conflict at Cashlink, or the first request with this key is still running. */
export class CashlinkConflictError extends CashlinkApiError {}

/** 413: the upload is larger than Cashlink accepts. */
export class CashlinkPayloadTooLargeError extends CashlinkApiError {}

/** 429: too many requests. `retryAfterMs` is Cashlink's `Retry-After`, when given. */
export class CashlinkRateLimitError extends CashlinkApiError {
  readonly retryAfterMs?: number;
  constructor(message: string, details: CashlinkApiErrorDetails, retryAfterMs?: number) {
    super(message, details);
    this.retryAfterMs = retryAfterMs;
  }
}

/** 5xx: Cashlink failed. Safe requests are retried before this surfaces. */
export class CashlinkServerError extends CashlinkApiError {}

/**
 * Cashlink answered 2xx, but its body could not be read (not JSON: e.g. a proxy's HTML page, or a
 * truncated answer). For a write this means **Cashlink accepted the request**: the object may well
 * exist. Do not send it again with a new idempotency key (that could create a second one); repeat it
 * with the same key (`idempotencyKey`; Cashlink answers a repeat with its stored answer) or look the
 * object up. Never retried by the transport. With durable idempotency the intent is settled `expired`
 * at once (needs reconciliation: look the object up) and is never resent; a repeat of its key answers
 * `CashlinkIntentExpiredError`.
 *
 * It is a `CashlinkApiError` (with the 2xx `status`, no `body`) so that code that handles API errors by
 * status never mistakes it for a definitive 4xx failure.
 */
export class CashlinkUnreadableAnswerError extends CashlinkApiError {
  constructor(details: Omit<CashlinkApiErrorDetails, 'body'>) {
    const write = details.method !== 'GET';
    super(
      `Cashlink answered ${details.status} to ${details.method} ${details.path}, but its answer could not be read (not JSON). ` +
        (write
          ? 'Cashlink accepted the request: do not resend it with a new idempotency key (that could create a second object); ' +
            (details.idempotencyKey
              ? `look the object up, or (without durable idempotency) repeat it with the same key ${details.idempotencyKey} to get Cashlink's stored answer.`
              : 'look the object up.')
          : 'Nothing was changed; repeating the request is safe.'),
      { ...details, body: undefined },
    );
  }
}
