import { createHash } from 'node:crypto';
import { request } from 'node:http';
import { startCashlinkEmulator, type CashlinkEmulator } from 'nestjs-cashlink/testing';
import { api, getToken, upload } from './emulator-test.helpers';

/** Sends a hand-made multipart body (to control every byte). */
function rawMultipart(
  emu: CashlinkEmulator,
  token: string,
  body: Buffer,
  contentType: string,
): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${emu.baseUrl}/v2/documents/`,
      {
        method: 'POST',
        headers: {
          Authorization: `Bearer ${token}`,
          'Content-Type': contentType,
          'Content-Length': body.length,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode!, body: JSON.parse(Buffer.concat(chunks).toString()) }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('emulator: documents', () => {
  let emu: CashlinkEmulator;
  let token: string;

  beforeAll(async () => {
    emu = await startCashlinkEmulator({ maxDocumentBytes: 64 * 1024 });
    token = await getToken(emu);
  });
  afterAll(() => emu.close());
  beforeEach(() => emu.reset());

  it('stores name, content type, size and SHA-256 of the multipart field "file"', async () => {
    const pdf = Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(20_000, 7), Buffer.from('\n%%EOF')]);
    const answer = await upload(emu, token, pdf, { filename: 'subscription form.pdf' });
    expect(answer.status).toBe(201);
    const expected = {
      id: expect.any(String),
      filename: 'subscription form.pdf',
      content_type: 'application/pdf',
      size: pdf.length,
      sha256: createHash('sha256').update(pdf).digest('hex'),
      created_at: expect.any(String),
    };
    expect(answer.body).toEqual(expected);
    expect(emu.documents()).toEqual([expected]);
  });

  it('parses a hand-made multipart body with other fields around the file', async () => {
    const boundary = 'XyZ123';
    const body = Buffer.from(
      [
        `--${boundary}`,
        'Content-Disposition: form-data; name="description"',
        '',
        'ignored',
        `--${boundary}`,
        'Content-Disposition: form-data; name="file"; filename="id.png"',
        'Content-Type: image/png',
        '',
        'PNGDATA',
        `--${boundary}--`,
        '',
      ].join('\r\n'),
    );
    const answer = await rawMultipart(emu, token, body, `multipart/form-data; boundary=${boundary}`);
    expect(answer.status).toBe(201);
    expect(answer.body).toMatchObject({ filename: 'id.png', content_type: 'image/png', size: 7 });
  });

  it('answers 413 for a file over the configured limit and stores nothing', async () => {
    const answer = await upload(emu, token, Buffer.alloc(64 * 1024 + 1, 1));
    expect(answer.status).toBe(413);
    expect(answer.body).toEqual({ detail: expect.stringContaining('65536') });
    expect(emu.documents()).toEqual([]);
    expect((await upload(emu, token, Buffer.alloc(64 * 1024, 1))).status).toBe(201);
  });

  it('answers 400 {"file": [...]} when the field "file" is missing', async () => {
    const answer = await upload(emu, token, Buffer.from('%PDF'), { field: 'document' });
    expect(answer.status).toBe(400);
    expect(answer.body).toEqual({ file: ['No file was submitted.'] });
  });

  it('answers 415 for a body that is not multipart, and 400 for a broken multipart body', async () => {
    const json = await api(emu, token, 'POST', '/v2/documents/', { json: { file: 'base64...' } });
    expect(json.status).toBe(415);
    expect(json.body).toEqual({ detail: expect.stringContaining('multipart/form-data') });
    const noBoundary = await rawMultipart(emu, token, Buffer.from('abc'), 'multipart/form-data');
    expect(noBoundary.status).toBe(400);
    const truncated = await rawMultipart(
      emu,
      token,
      Buffer.from('--b\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\n\r\nabc'),
      'multipart/form-data; boundary=b',
    );
    expect(truncated.status).toBe(400);
    expect(emu.documents()).toEqual([]);
    expect((await upload(emu, token, Buffer.from('%PDF ok'))).status).toBe(201);
  });
});
