import { Injectable } from '@nestjs/common';
import { request as undiciRequest } from 'undici';
import {
  CashlinkTransport,
  type TransportRequest,
  type TransportResponse,
  TransportFailure,
} from './cashlink-transport';

/**
 * `CashlinkTransport` on undici's `request()` (the HTTP client inside Node's own `fetch`, without the
 * WHATWG layer: no Request/Response objects, no web streams, no per-call FinalizationRegistry for the
 * signal). It uses undici's global dispatcher, the one Node's `fetch` shares, so an app's
 * `setGlobalDispatcher(new EnvHttpProxyAgent())` (or a custom Agent) applies to Cashlink calls too.
 * Keep-alive connections per origin; redirects are returned, never followed; no compression is asked
 * for, so the body read is the body sent, counted against `maxResponseBytes`. See bench/README.md
 * for why this client (read call vs a plain `fetch` of the same URL).
 */
@Injectable()
export class UndiciCashlinkTransport extends CashlinkTransport {
  override async send(request: TransportRequest): Promise<TransportResponse> {
    try {
      const response = await undiciRequest(request.url, {
        method: request.method as 'GET',
        headers: request.headers,
        body: request.body,
        signal: request.signal,
      });
      const headers: Record<string, string | undefined> = {};
      for (const [name, value] of Object.entries(response.headers)) {
        if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
      }
      const text = await readText(response.body, headers['content-length'], request.maxResponseBytes);
      return { status: response.statusCode, headers, text };
    } catch (error) {
      if (error instanceof TransportFailure) throw error;
      // Only the code leaves: a low-level error may hold the request (bearer token, form with the secret).
      throw new TransportFailure(failureCode(error));
    }
  }
}

type Body = Awaited<ReturnType<typeof undiciRequest>>['body'];

/** The body as UTF-8 text, refusing more than `limit` bytes (the connection is then dropped). */
async function readText(
  body: Body,
  contentLength: string | undefined,
  limit: number | undefined,
): Promise<string> {
  const declared = contentLength === undefined ? NaN : Number(contentLength);
  if (limit !== undefined && declared > limit) {
    drop(body);
    throw new TransportFailure('ERR_RESPONSE_TOO_LARGE');
  }
  // A declared length is enforced by undici (a longer body is an error), so it needs no counting.
  if (limit === undefined || Number.isFinite(declared)) return body.text();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      drop(body);
      throw new TransportFailure('ERR_RESPONSE_TOO_LARGE');
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size).toString('utf8');
}

/** Closes the connection under an unwanted body (its abort error is expected, not unhandled). */
function drop(body: Body): void {
  body.on('error', () => undefined);
  body.destroy();
}

/** The low-level code of a failure, e.g. `ECONNRESET`, `UND_ERR_SOCKET`, `ABORT_ERR`. */
function failureCode(error: unknown): string {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current && typeof current === 'object'; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && code) return code;
    if ((current as { name?: unknown }).name === 'AbortError') return 'ABORT_ERR';
    current = (current as { cause?: unknown }).cause;
  }
  return 'unknown';
}
