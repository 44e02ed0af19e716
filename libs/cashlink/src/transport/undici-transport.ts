import { brotliDecompress, gunzip, inflate, type InputType, type ZlibOptions } from 'node:zlib';
import { promisify } from 'node:util';
import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import { Agent, EnvHttpProxyAgent, request as undiciRequest } from 'undici';
import {
  CashlinkTransport,
  headerValue,
  type TransportHeaders,
  type TransportRequest,
  type TransportResponse,
  TransportFailure,
} from './cashlink-transport';

type Decoder = (input: InputType, options: ZlibOptions) => Promise<Buffer>;

/** What a compressed answer is decoded with (only if a proxy compresses although we asked for identity). */
const DECODERS: Record<string, Decoder> = {
  gzip: promisify(gunzip) as Decoder,
  'x-gzip': promisify(gunzip) as Decoder,
  deflate: promisify(inflate) as Decoder,
  br: promisify(brotliDecompress) as Decoder,
};

/**
 * `CashlinkTransport` on undici's `request()` (the HTTP client inside Node's own `fetch`, without the
 * WHATWG layer: no Request/Response objects, no web streams, no per-call FinalizationRegistry for the
 * signal): a read through it costs less than a plain `fetch` of the same URL.
 *
 * It sends through an agent of its own (keep-alive connections per origin), never through undici's
 * global dispatcher: interceptors an app installs globally (redirects, retries) must not apply to
 * calls that carry the bearer token or the client secret. Like axios before it, it honours the
 * HTTP_PROXY / HTTPS_PROXY / NO_PROXY environment variables (`EnvHttpProxyAgent`). Redirects are
 * returned, never followed; `Accept-Encoding: identity` is sent, and a compressed answer (a proxy may
 * compress anyway) is decoded; the body is counted against `maxResponseBytes` after decoding.
 */
@Injectable()
export class UndiciCashlinkTransport extends CashlinkTransport implements OnModuleDestroy {
  // The proxy-aware agent parses every request's URL to match NO_PROXY; without a proxy configured a
  // plain agent sends the same requests without that work.
  private readonly agent = proxyConfigured() ? new EnvHttpProxyAgent() : new Agent();

  override async send(request: TransportRequest): Promise<TransportResponse> {
    try {
      request.headers['accept-encoding'] = 'identity';
      const response = await undiciRequest(request.url, {
        dispatcher: this.agent,
        method: request.method as 'GET',
        headers: request.headers,
        body: request.body,
        // undici takes any object shaped like an EventTarget with `aborted` and `reason`.
        signal: request.signal as AbortSignal,
      });
      const { headers } = response;
      const text = await readText(response.body, headers, request.maxResponseBytes);
      return { status: response.statusCode, headers, text };
    } catch (error) {
      if (error instanceof TransportFailure) throw error;
      // Only the code leaves: a low-level error may hold the request (bearer token, form with the secret).
      throw new TransportFailure(failureCode(error));
    }
  }

  async onModuleDestroy(): Promise<void> {
    await this.agent.close().catch(() => undefined);
  }
}

/** Whether the environment names a proxy (what `EnvHttpProxyAgent` would honour). */
function proxyConfigured(): boolean {
  const env = process.env;
  return Boolean(env.HTTP_PROXY || env.http_proxy || env.HTTPS_PROXY || env.https_proxy);
}

type Body = Awaited<ReturnType<typeof undiciRequest>>['body'];

/** The body as UTF-8 text, refusing more than `limit` bytes (the connection is then dropped). */
async function readText(body: Body, headers: TransportHeaders, limit: number | undefined): Promise<string> {
  const encoding = (headerValue(headers, 'content-encoding') ?? 'identity').trim().toLowerCase();
  const decode = encoding === 'identity' ? undefined : DECODERS[encoding];
  if (encoding !== 'identity' && !decode) {
    drop(body);
    throw new TransportFailure('ERR_CONTENT_ENCODING');
  }
  const length = headerValue(headers, 'content-length');
  const declared = length === undefined ? NaN : Number(length);
  if (limit !== undefined && declared > limit) {
    drop(body);
    throw new TransportFailure('ERR_RESPONSE_TOO_LARGE');
  }
  // A declared length is enforced by undici on HTTP/1.1 (a longer body is an error), so a plain body
  // within the limit needs no counting.
  if (!decode && (limit === undefined || Number.isFinite(declared))) return body.text();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (limit !== undefined && size > limit) {
      drop(body);
      throw new TransportFailure('ERR_RESPONSE_TOO_LARGE');
    }
    chunks.push(chunk);
  }
  const raw = Buffer.concat(chunks, size);
  if (!decode) return raw.toString('utf8');
  try {
    // maxOutputLength: a small compressed body must not expand past the limit (a "zip bomb").
    return (await decode(raw, limit === undefined ? {} : { maxOutputLength: limit })).toString('utf8');
  } catch (error) {
    throw new TransportFailure(
      (error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE'
        ? 'ERR_RESPONSE_TOO_LARGE'
        : 'ERR_CONTENT_DECODING',
    );
  }
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
