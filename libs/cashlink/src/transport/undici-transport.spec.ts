import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { Agent, getGlobalDispatcher, interceptors, setGlobalDispatcher } from 'undici';
import { AttemptSignal } from './attempt-signal';
import { TransportFailure } from './cashlink-transport';
import { UndiciCashlinkTransport } from './undici-transport';

/** The transport against a real local HTTP server: what reaches the wire, and what comes back. */
describe('UndiciCashlinkTransport', () => {
  let server: Server;
  let base: string;
  let handler: (req: IncomingMessage, res: ServerResponse, body: Buffer) => void;
  const transport = new UndiciCashlinkTransport();

  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => handler(req, res, Buffer.concat(chunks)));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await transport.onModuleDestroy();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const send = (over: Partial<Parameters<UndiciCashlinkTransport['send']>[0]> = {}) =>
    transport.send({
      url: `${base}/x`,
      method: 'GET',
      headers: {},
      signal: new AbortController().signal,
      ...over,
    });

  it('sends method, headers and a string body, and returns status, lower-case headers and text', async () => {
    let seen: { method?: string; auth?: string; body?: string } = {};
    handler = (req, res, body) => {
      seen = { method: req.method, auth: req.headers.authorization, body: body.toString() };
      res.writeHead(201, { 'X-Request-Id': 'r-1', 'Content-Type': 'application/json' }).end('{"ok":true}');
    };
    const res = await send({ method: 'POST', headers: { Authorization: 'Bearer t' }, body: '{"a":1}' });
    expect(seen).toEqual({ method: 'POST', auth: 'Bearer t', body: '{"a":1}' });
    expect(res).toMatchObject({ status: 201, text: '{"ok":true}' });
    expect(res.headers['x-request-id']).toBe('r-1');
  });

  it('streams a Readable body with its Content-Length', async () => {
    let seen: { length?: string; body?: string } = {};
    handler = (req, res, body) => {
      seen = { length: req.headers['content-length'], body: body.toString() };
      res.writeHead(204).end();
    };
    const res = await send({
      method: 'POST',
      headers: { 'Content-Length': '6' },
      body: Readable.from([Buffer.from('abc'), Buffer.from('def')]),
    });
    expect(seen).toEqual({ length: '6', body: 'abcdef' });
    expect(res).toMatchObject({ status: 204, text: '' });
  });

  it('returns a redirect as it is and does not follow it', async () => {
    const paths: string[] = [];
    handler = (req, res) => {
      paths.push(req.url!);
      res.writeHead(302, { Location: `${base}/elsewhere` }).end();
    };
    const res = await send({ headers: { Authorization: 'Bearer secret' } });
    expect(res.status).toBe(302);
    expect(paths).toEqual(['/x']);
  });

  it("ignores the app's global dispatcher: a global redirect interceptor does not make it follow a 3xx", async () => {
    const paths: string[] = [];
    handler = (req, res) => {
      paths.push(req.url!);
      res.writeHead(307, { Location: `${base}/elsewhere` }).end();
    };
    const previous = getGlobalDispatcher();
    setGlobalDispatcher(new Agent().compose(interceptors.redirect({ maxRedirections: 3 })));
    try {
      const res = await send({ method: 'POST', body: 'client_secret=s3cr3t' });
      expect(res.status).toBe(307);
      expect(paths).toEqual(['/x']);
    } finally {
      setGlobalDispatcher(previous);
    }
  });

  it('asks for no compression, and decodes a compressed answer a proxy sends anyway', async () => {
    let acceptEncoding: string | undefined;
    handler = (req, res) => {
      acceptEncoding = req.headers['accept-encoding'];
      res.writeHead(200, { 'Content-Encoding': 'gzip' }).end(gzipSync('{"ok":true}'));
    };
    await expect(send()).resolves.toMatchObject({ status: 200, text: '{"ok":true}' });
    expect(acceptEncoding).toBe('identity');
  });

  it('refuses a compressed answer that expands past maxResponseBytes, and an unknown encoding', async () => {
    handler = (_req, res) =>
      res.writeHead(200, { 'Content-Encoding': 'gzip' }).end(gzipSync('x'.repeat(100_000)));
    await expect(send({ maxResponseBytes: 10_000 })).rejects.toMatchObject({
      code: 'ERR_RESPONSE_TOO_LARGE',
    });
    handler = (_req, res) => res.writeHead(200, { 'Content-Encoding': 'zstd-unknown' }).end('abc');
    await expect(send()).rejects.toMatchObject({ code: 'ERR_CONTENT_ENCODING' });
  });

  it('refuses an answer larger than maxResponseBytes, declared or chunked', async () => {
    handler = (_req, res) => res.writeHead(200, { 'Content-Length': '2000' }).end('x'.repeat(2000));
    await expect(send({ maxResponseBytes: 1000 })).rejects.toMatchObject({ code: 'ERR_RESPONSE_TOO_LARGE' });
    handler = (_req, res) => {
      res.writeHead(200); // no length: chunked
      res.write('x'.repeat(600));
      res.end('y'.repeat(600));
    };
    await expect(send({ maxResponseBytes: 1000 })).rejects.toMatchObject({ code: 'ERR_RESPONSE_TOO_LARGE' });
    await expect(send({ maxResponseBytes: 1200 })).resolves.toMatchObject({ status: 200 });
  });

  it('turns a dropped connection into a TransportFailure that holds only a code', async () => {
    handler = (req) => req.socket.destroy();
    const error = await send({ headers: { Authorization: 'Bearer do-not-leak' } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransportFailure);
    expect((error as TransportFailure).code).toMatch(/^(UND_ERR_SOCKET|ECONNRESET)$/);
    expect(JSON.stringify(error) + String(error) + (error as Error).stack).not.toContain('do-not-leak');
  });

  it('rejects when the signal aborts', async () => {
    handler = () => undefined; // never answers
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    await expect(send({ signal: controller.signal })).rejects.toBeInstanceOf(TransportFailure);
  });

  it("rejects when an attempt's own signal (not an AbortSignal) aborts mid-request", async () => {
    handler = () => undefined; // never answers
    const signal = new AttemptSignal();
    const added: Array<() => void> = [];
    const addEventListener = signal.addEventListener.bind(signal);
    signal.addEventListener = (type, listener) => {
      added.push(listener);
      addEventListener(type, listener);
    };
    setTimeout(() => signal.abort('deadline'), 50);
    const error = await send({ signal }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransportFailure);
    expect(added.length).toBeGreaterThan(0);
    expect(signal.reason).toBe('deadline');
  });

  it('sends through the proxy named by HTTP_PROXY, and directly without one', async () => {
    // A forward proxy that tunnels CONNECT to the test server and counts the tunnels it opened.
    let tunnels = 0;
    const proxy = createServer();
    proxy.on('connect', (req: IncomingMessage, client: Socket) => {
      tunnels++;
      const [host = '', port = ''] = (req.url ?? '').split(':');
      const upstream = connect(Number(port), host, () => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        upstream.pipe(client);
        client.pipe(upstream);
      });
      upstream.on('error', () => client.destroy());
      client.on('error', () => upstream.destroy());
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const saved = process.env.HTTP_PROXY;
    process.env.HTTP_PROXY = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    const proxied = new UndiciCashlinkTransport();
    delete process.env.HTTP_PROXY;
    const direct = new UndiciCashlinkTransport();
    try {
      handler = (_req, res) => res.end('{"ok":true}');
      const via = await proxied.send({
        url: `${base}/via-proxy`,
        method: 'GET',
        headers: {},
        signal: new AbortController().signal,
      });
      expect(via).toMatchObject({ status: 200, text: '{"ok":true}' });
      expect(tunnels).toBe(1);
      await direct.send({
        url: `${base}/direct`,
        method: 'GET',
        headers: {},
        signal: new AbortController().signal,
      });
      expect(tunnels).toBe(1);
    } finally {
      if (saved === undefined) delete process.env.HTTP_PROXY;
      else process.env.HTTP_PROXY = saved;
      await proxied.onModuleDestroy();
      await direct.onModuleDestroy();
      proxy.closeAllConnections();
      await new Promise((resolve) => proxy.close(resolve));
    }
  });
});
