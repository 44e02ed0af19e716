import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What a test sees of a loopback server. */
export interface LoopbackServer {
  origin: string;
  close(): Promise<void>;
}

/** Received requests of a trap server: it should never see one. */
export interface TrapServer extends LoopbackServer {
  received: { url: string; headers: IncomingHttpHeaders }[];
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function closer(server: Server): () => Promise<void> {
  return () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
}

/** A server that records every request (with headers) and answers 200 with an empty page. */
export async function startTrapServer(): Promise<TrapServer> {
  const received: TrapServer['received'] = [];
  const server = createServer((req, res) => {
    received.push({ url: req.url ?? '', headers: req.headers });
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ count: 0, next: null, previous: null, results: [] }));
  });
  const origin = await listen(server);
  return { origin, received, close: closer(server) };
}

/**
 * A reverse proxy to `target` that lets a test rewrite JSON answers, e.g. to point `next` at another
 * origin (a hostile or broken Cashlink answer), or to send a status the client does not know.
 */
export async function startRewritingProxy(
  target: string,
  rewrite: (body: Record<string, unknown>, path: string) => Record<string, unknown>,
): Promise<LoopbackServer> {
  const server = createServer((req, res) => {
    const upstream = request(
      `${target}${req.url ?? '/'}`,
      { method: req.method, headers: { ...req.headers, host: new URL(target).host } },
      (answer) => {
        const chunks: Buffer[] = [];
        answer.on('data', (c: Buffer) => chunks.push(c));
        answer.on('end', () => {
          let body = Buffer.concat(chunks);
          const headers = { ...answer.headers };
          if (String(headers['content-type'] ?? '').includes('json') && body.length > 0) {
            body = Buffer.from(JSON.stringify(rewrite(JSON.parse(body.toString('utf8')), req.url ?? '')));
            headers['content-length'] = String(body.length);
          }
          res.writeHead(answer.statusCode ?? 502, headers);
          res.end(body);
        });
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  const origin = await listen(server);
  return { origin, close: closer(server) };
}
