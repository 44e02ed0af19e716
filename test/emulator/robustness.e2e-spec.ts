import { connect } from 'node:net';
import { startCashlinkEmulator, type CashlinkEmulator } from 'nestjs-cashlink/testing';
import { api, getToken } from './emulator-test.helpers';

/** Writes raw bytes to the emulator and returns the raw answer. */
function rawRequest(emu: CashlinkEmulator, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(emu.port, '127.0.0.1', () => socket.end(text));
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    socket.on('error', reject);
  });
}

describe('emulator: bad input gets clear 4xx answers and never crashes it', () => {
  let emu: CashlinkEmulator;
  let token: string;

  beforeAll(async () => {
    emu = await startCashlinkEmulator({ maxJsonBodyBytes: 10_000 });
    token = await getToken(emu);
  });
  afterAll(() => emu.close());

  afterEach(async () => {
    // Whatever the test sent, the emulator still answers.
    expect((await api(emu, token, 'GET', '/v2/products/')).status).toBe(200);
  });

  it('malformed JSON → 400 {"detail"}', async () => {
    const answer = await api(emu, token, 'POST', '/v2/investors/', {
      rawBody: '{"natural_person": ',
      headers: { 'Content-Type': 'application/json' },
    });
    expect(answer.status).toBe(400);
    expect(answer.body).toEqual({ detail: expect.stringContaining('JSON parse error') });
  });

  it('a JSON value that is not an object → 400 non_field_errors', async () => {
    for (const [raw, type] of [
      ['[1,2]', 'list'],
      ['"text"', 'str'],
      ['null', 'null'],
      ['42', 'int'],
    ]) {
      const answer = await api(emu, token, 'POST', '/v2/investments/', {
        rawBody: raw,
        headers: { 'Content-Type': 'application/json' },
      });
      expect(answer.status).toBe(400);
      expect(answer.body).toEqual({
        non_field_errors: [`Invalid data. Expected a dictionary, but got ${type}.`],
      });
    }
  });

  it('wrong content type → 415 {"detail"}', async () => {
    const answer = await api(emu, token, 'POST', '/v2/investors/', {
      rawBody: 'natural_person=x',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    });
    expect(answer.status).toBe(415);
    expect(answer.body).toEqual({ detail: expect.stringContaining('application/json') });
    const none = await api(emu, token, 'POST', '/v2/investors/', { rawBody: '{}' });
    expect(none.status).toBe(415);
  });

  it('oversized JSON body → 413 {"detail"}', async () => {
    const answer = await api(emu, token, 'POST', '/v2/investors/', { json: { padding: 'x'.repeat(20_000) } });
    expect(answer.status).toBe(413);
    expect(answer.body).toEqual({ detail: expect.stringContaining('10000') });
  });

  it('oversized token request → 413', async () => {
    const response = await fetch(emu.tokenUrl, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: `grant_type=client_credentials&x=${'y'.repeat(20_000)}`,
    });
    expect(response.status).toBe(413);
  });

  it('unknown routes → 404 {"detail"}; a known path with another method → 405', async () => {
    for (const path of ['/v2/nothing/', '/v2/investors', '/v3/investors/', '/v2/investors/a/b/c/']) {
      const answer = await api(emu, token, 'GET', path);
      expect(answer.status).toBe(404);
      expect(answer.body).toEqual({ detail: 'Not found.' });
    }
    const outside = await fetch(`${emu.origin}/favicon.ico`);
    expect(outside.status).toBe(404);
    const wrongMethod = await api(emu, token, 'DELETE', '/v2/investors/');
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('GET, POST');
    const tokenGet = await fetch(emu.tokenUrl);
    expect(tokenGet.status).toBe(405);
  });

  it('odd paths and headers do not crash it', async () => {
    const malformed = await api(emu, token, 'GET', '/v2/investors/%E0%A4%A/');
    expect(malformed.status).toBe(400);
    expect(malformed.body).toEqual({ detail: expect.stringContaining('percent-encoding') });
    expect((await api(emu, token, 'GET', '/v2/investments/?page=1&page=2&page_size=')).status).toBe(200);
    const badTarget = await rawRequest(emu, 'GET //[ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(badTarget).toMatch(/^HTTP\/1\.1 400/);
    expect(badTarget).toContain('Malformed request target.');
    const garbage = await rawRequest(emu, 'NOT HTTP AT ALL\r\n\r\n');
    expect(garbage).toMatch(/^HTTP\/1\.1 400/);
  });

  it('a client that disconnects mid-body does not crash it', async () => {
    await new Promise<void>((resolve) => {
      const socket = connect(emu.port, '127.0.0.1', () => {
        socket.write(
          `POST /api/external/distributor/v2/investors/ HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\n` +
            'Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"natural',
        );
        setTimeout(() => {
          socket.destroy();
          resolve();
        }, 20);
      });
    });
    // The emulator settles the request instead of waiting for the rest of the body forever.
    let entry = emu.requests().find((r) => r.path === '/v2/investors/' && r.method === 'POST');
    while (!entry || entry.status === 0) {
      await new Promise((r) => setTimeout(r, 5));
      entry = emu.requests().find((r) => r.path === '/v2/investors/' && r.method === 'POST');
    }
    expect(entry.status).toBe(400);
  });

  it('a client that disconnects mid-upload does not crash it', async () => {
    await new Promise<void>((resolve) => {
      const socket = connect(emu.port, '127.0.0.1', () => {
        socket.write(
          `POST /api/external/distributor/v2/documents/ HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\n` +
            'Content-Type: multipart/form-data; boundary=b\r\nContent-Length: 100000\r\n\r\n' +
            '--b\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\n\r\n%PDF',
        );
        setTimeout(() => {
          socket.destroy();
          resolve();
        }, 20);
      });
    });
    let entry = emu.requests().find((r) => r.path === '/v2/documents/');
    while (!entry || entry.status === 0) {
      await new Promise((r) => setTimeout(r, 5));
      entry = emu.requests().find((r) => r.path === '/v2/documents/');
    }
    expect(entry.status).toBe(400);
    expect(emu.documents()).toEqual([]);
  });

  it('refuses invalid options with one readable message', async () => {
    await expect(
      startCashlinkEmulator({ tokenLifetimeSeconds: 0, scopes: ['admin'], maxDocumentBytes: 1.5 }),
    ).rejects.toThrow(
      'Invalid Cashlink emulator options: tokenLifetimeSeconds must be an integer >= 1, got 0; ' +
        'maxDocumentBytes must be an integer >= 1, got 1.5; scopes has unknown scopes: admin',
    );
  });
});
