import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * The request as Nest middleware sees it: a Node request, possibly with a body already parsed by
 * the host's body parser (`body`) and, with `rawBody: true`, its raw bytes (`rawBody`).
 */
export type WebhookRequest = IncomingMessage & { body?: unknown; rawBody?: Buffer };

export type RequestBody =
  { kind: 'raw'; text: string } | { kind: 'parsed'; value: unknown; text: string } | { kind: 'too_large' };

/**
 * Reads the request body without asking the host app for any raw-body set-up.
 *
 * Nest registers its JSON and urlencoded body parsers on the app before any module middleware.
 * When a parser already consumed the stream, its result is used (the raw bytes when the host
 * enabled `rawBody`, else the parsed value; the parser's own 100 kB limit has bounded the read and
 * its errors were already answered 400/413). Otherwise (a host with `bodyParser: false`, another
 * content type, Fastify) the stream is read here, stopping at `maxBytes`, so authentication runs
 * before a single body byte is read.
 */
export async function readRequestBody(req: WebhookRequest, maxBytes: number): Promise<RequestBody> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) return { kind: 'too_large' };

  const consumed = req.readableEnded || (req.complete && !req.readable);
  if (consumed) {
    if (Buffer.isBuffer(req.rawBody)) {
      if (req.rawBody.length > maxBytes) return { kind: 'too_large' };
      return { kind: 'raw', text: req.rawBody.toString('utf8') };
    }
    // Fastify's own text/plain parser leaves a string; a catch-all parser may leave the bytes.
    if (typeof req.body === 'string' || Buffer.isBuffer(req.body)) {
      const text = req.body.toString();
      if (Buffer.byteLength(text) > maxBytes) return { kind: 'too_large' };
      return { kind: 'raw', text };
    }
    const text = req.body === undefined ? '' : JSON.stringify(req.body);
    if (Buffer.byteLength(text) > maxBytes) return { kind: 'too_large' };
    return req.body === undefined ? { kind: 'raw', text: '' } : { kind: 'parsed', value: req.body, text };
  }

  return new Promise<RequestBody>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        done = true;
        req.off('data', onData);
        req.resume(); // drain, without keeping anything
        resolve({ kind: 'too_large' });
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => {
      if (!done) resolve({ kind: 'raw', text: Buffer.concat(chunks).toString('utf8') });
    });
    req.once('error', (error) => {
      if (!done) reject(error);
    });
  });
}

/**
 * The Node request and response behind a controller's `@Req()` / `@Res()`, on either platform.
 * Express's objects are Node's own. Fastify's wrap them (`raw`): the body Fastify parsed (and, with
 * `rawBody: true`, its bytes) is copied onto the Node request, whose stream Fastify has consumed,
 * and the reply is hijacked, so that Fastify leaves the answer written on the Node response alone.
 */
export function toNodeExchange(req: unknown, res: unknown): { req: WebhookRequest; res: ServerResponse } {
  const fastifyRequest = req as { raw?: WebhookRequest; body?: unknown; rawBody?: Buffer };
  const fastifyReply = res as { raw?: ServerResponse; hijack?: () => void };
  if (fastifyRequest.raw && fastifyReply.raw && typeof fastifyReply.hijack === 'function') {
    const nodeReq = fastifyRequest.raw;
    if (fastifyRequest.body !== undefined) nodeReq.body = fastifyRequest.body;
    if (Buffer.isBuffer(fastifyRequest.rawBody)) nodeReq.rawBody = fastifyRequest.rawBody;
    fastifyReply.hijack();
    return { req: nodeReq, res: fastifyReply.raw };
  }
  return { req: req as WebhookRequest, res: res as ServerResponse };
}

/** Writes a small JSON (or empty) answer with Node's own API, so it works under Express and Fastify. */
export function sendJson(
  res: ServerResponse,
  status: number,
  body?: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) return;
  res.statusCode = status;
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  res.setHeader('Cache-Control', 'no-store');
  if (body === undefined) {
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(text));
  res.end(text);
}

/** What the receiver did with an authenticated body, as its 200 answer says. */
export type ReceiptOutcome = 'stored' | 'duplicate' | 'quarantined';

/** The receiver's 200 answers, one per outcome, built once: a delivery pays no JSON or header building. */
const RECEIPTS = new Map(
  (['stored', 'duplicate', 'quarantined'] as const).map((outcome) => {
    const body = JSON.stringify({ received: true, outcome });
    const headers = {
      'Cache-Control': 'no-store',
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Length': String(Buffer.byteLength(body)),
    };
    return [outcome, { body, headers }];
  }),
);

/** Answers 200 `{ "received": true, "outcome": … }` (the same answer `sendJson` would write). */
export function sendReceipt(res: ServerResponse, outcome: ReceiptOutcome): void {
  if (res.headersSent) return;
  const receipt = RECEIPTS.get(outcome)!;
  res.writeHead(200, receipt.headers);
  res.end(receipt.body);
}
