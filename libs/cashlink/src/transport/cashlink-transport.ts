import type { Readable } from 'node:stream';
import type { TransportSignal } from './attempt-signal';

/** Answer headers as received: lower-case names, a repeated header as an array. */
export type TransportHeaders = Readonly<Record<string, string | string[] | undefined>>;

/** One header of an answer as text (a repeated header joined with `, `), or undefined. */
export function headerValue(headers: TransportHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

/** One HTTP exchange as the library's HTTP client and token client need it. */
export interface TransportRequest {
  url: string;
  method: string;
  /** Handed over: built for this one request, the transport adds its own to them. */
  headers: Record<string, string>;
  /** A JSON or form string, or a streamed multipart body. */
  body?: string | Readable;
  signal: TransportSignal;
  /** Largest answer body accepted, in bytes. @default no limit */
  maxResponseBytes?: number;
}

/** Any answer, whatever its status (the caller maps statuses to errors). */
export interface TransportResponse {
  status: number;
  /** As received (read them with `headerValue`): not copied, since most answers need one or none. */
  headers: TransportHeaders;
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
