import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A Cashlink stand-in whose API answers 2xx with a body that is not JSON. */
export interface HtmlAnsweringServer {
  /** Token URL: `${origin}/oauth/token`; use any path under the origin as the API base. */
  origin: string;
  /** Every API request received (the token endpoint excluded), with its idempotency key. */
  apiRequests: { method: string; url: string; key?: string }[];
  close(): Promise<void>;
}

/**
 * On loopback: a token endpoint, and every API request answered 2xx (201 for POST, 200 otherwise) with
 * an HTML body — what a misbehaving proxy in front of Cashlink can send after the request went through.
 */
export async function startHtmlAnsweringServer(): Promise<HtmlAnsweringServer> {
  const apiRequests: HtmlAnsweringServer['apiRequests'] = [];
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (req.url === '/oauth/token') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ access_token: 'tok', token_type: 'Bearer', expires_in: 3600 }));
        return;
      }
      const key = req.headers['x-idempotency-key'];
      apiRequests.push({ method: req.method ?? '', url: req.url ?? '', key: key as string | undefined });
      res.writeHead(req.method === 'POST' ? 201 : 200, { 'content-type': 'text/html' });
      res.end('<html><body>Created</body></html>');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    apiRequests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
