import { CashlinkError } from './cashlink.error';

/** The caller's `AbortSignal` fired; the request was cancelled (and not retried). */
export class CashlinkAbortedError extends CashlinkError {
  constructor(
    readonly method: string,
    readonly path: string,
    options?: { cause?: unknown },
  ) {
    super(
      `${method} ${path} was aborted by the caller's AbortSignal. For a write, Cashlink may or may not ` +
        'have processed it; repeat it with the same idempotency key to find out safely.',
      options,
    );
  }
}

/**
 * A pagination link (`next` / `previous`) pointed outside the configured API (another origin, or a
 * path outside the API base). It was not followed, so the bearer token was not sent there.
 */
export class CashlinkUnsafeUrlError extends CashlinkError {
  constructor(
    /** Origin of the refused URL (the rest of it is left out). */
    readonly refusedOrigin: string,
    /** The configured API origin, the only one the token is sent to. */
    readonly apiOrigin: string,
  ) {
    super(
      `Refused to follow a pagination link to ${refusedOrigin}: the bearer token is only sent to the ` +
        `configured API (${apiOrigin} under its base path). If Cashlink moved hosts, update baseUrl.`,
    );
  }
}

/** A document exceeds `documents.maxSizeBytes`; nothing more was sent. */
export class CashlinkDocumentTooLargeError extends CashlinkError {
  constructor(
    /** The limit in bytes. */
    readonly maxSizeBytes: number,
    /** The size when known before sending; for streams, the bytes counted when the limit was passed. */
    readonly sizeBytes: number,
  ) {
    super(
      `The document is larger than documents.maxSizeBytes (${maxSizeBytes} bytes; ${sizeBytes} counted). ` +
        'Nothing more was sent. Compress or split it, or raise the limit if Cashlink accepts larger files.',
    );
  }
}
