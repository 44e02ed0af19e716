import type { Readable } from 'node:stream';

/** One HTTP exchange as the library's HTTP client and token client need it. */
export interface TransportRequest {
  url: string;
  method: string;
  headers: Record<string, string>;
  /** A JSON or form string, or a streamed multipart body. */
  body?: string | Readable;
  signal: AbortSignal;
  /** Largest answer body accepted, in bytes. @default no limit */
  maxResponseBytes?: number;
}

/** Any answer, whatever its status (the caller maps statuses to errors). */
export interface TransportResponse {
  status: number;
  /** Lower-case names. */
  headers: Record<string, string | undefined>;
  /** The body as text ('' when there was none). */
  text: string;
}

/** No answer arrived: `code` is the low-level error code (e.g. `ECONNRESET`), nothing else is kept. */
export class TransportFailure extends Error {
  constructor(readonly code: string) {
    super(`HTTP transport failure (${code})`);
    this.name = 'TransportFailure';
  }
}

/**
 * The wire, behind an abstract class: the HTTP and token clients depend on this, and only its
 * implementation (`UndiciCashlinkTransport`) knows the HTTP client, so no third-party HTTP type
 * reaches the declarations of a public class, and no low-level error (which could hold the request
 * headers: the bearer token) leaves it. Internal: not exported from the package.
 */
export abstract class CashlinkTransport {
  /**
   * Sends one request, without following redirects (one could carry the bearer token to another host).
   * Resolves with any status; rejects with `TransportFailure` when no answer arrived (aborted included).
   */
  abstract send(request: TransportRequest): Promise<TransportResponse>;
}
