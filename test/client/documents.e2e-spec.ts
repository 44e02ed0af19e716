import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { INestApplicationContext } from '@nestjs/common';
import {
  CashlinkDocumentTooLargeError,
  CashlinkDocumentsService,
  CashlinkServerError,
} from 'nestjs-cashlink';
import { startCashlinkEmulator, type CashlinkEmulator } from 'nestjs-cashlink/testing';
import { apiRequests, createClientApp } from './support/client-fixture';

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const pdf = { filename: 'subscription.pdf', contentType: 'application/pdf' };

describe('document uploads', () => {
  let emu: CashlinkEmulator;
  let app: INestApplicationContext;
  const dir = mkdtempSync(join(tmpdir(), 'cashlink-docs-'));
  const content = randomBytes(300_000);
  const path = join(dir, 'subscription.pdf');
  writeFileSync(path, content);

  beforeAll(async () => {
    emu = await startCashlinkEmulator();
    app = await createClientApp(emu, { documents: { maxSizeBytes: 400_000 } });
  });
  afterAll(async () => {
    await app.close();
    await emu.close();
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => emu.reset());

  const documents = (): CashlinkDocumentsService => app.get(CashlinkDocumentsService);

  it.each([
    ['a Buffer', () => content],
    ['a file path', () => path],
    ['a readable stream', () => Readable.from(chunksOf(content, 64 * 1024))],
  ])('uploads %s as multipart field file, stored with the same size and hash', async (_kind, source) => {
    const uploaded = await documents().upload(source(), pdf);
    expect(uploaded.id).toEqual(expect.any(String));
    const [stored] = emu.documents();
    expect(stored).toMatchObject({
      id: uploaded.id,
      filename: 'subscription.pdf',
      content_type: 'application/pdf',
      size: content.length,
      sha256: sha256(content),
    });
  });

  it('refuses CR or LF in the contentType or the filename before sending anything', async () => {
    for (const file of [
      { filename: 'a.pdf', contentType: 'application/pdf\r\nX-Injected: 1' },
      { filename: 'a.pdf', contentType: 'application/pdf;\r\n charset=utf-8' },
      { filename: 'a.pdf', contentType: 'application/pdf\n' },
      // `\s*` before the parameters used to match CR and LF.
      { filename: 'a.pdf', contentType: 'application/pdf\r\n\r\n; injected body' },
      { filename: 'a.pdf\r\nX-Injected: 1', contentType: 'application/pdf' },
    ]) {
      await expect(documents().upload(content, file)).rejects.toThrow(TypeError);
    }
    expect(apiRequests(emu)).toHaveLength(0);
  });

  it('keeps a non-ASCII file name', async () => {
    await documents().upload(Buffer.from('%PDF-1.4'), { ...pdf, filename: 'Zeichnungsschein Jürgen.pdf' });
    expect(emu.documents()[0]!.filename).toBe('Zeichnungsschein Jürgen.pdf');
  });

  it.each([
    ['a Buffer', () => Buffer.alloc(400_001)],
    ['a file path', () => writeTemp('big.pdf', Buffer.alloc(400_001))],
  ])('refuses %s over the limit before sending anything', async (_kind, source) => {
    const error = await documents()
      .upload(source(), pdf)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CashlinkDocumentTooLargeError);
    expect((error as CashlinkDocumentTooLargeError).sizeBytes).toBe(400_001);
    expect(emu.requests()).toHaveLength(0);
  });

  it('counts a stream while sending and stops it past the limit', async () => {
    const error = await documents()
      .upload(Readable.from(chunksOf(Buffer.alloc(500_000), 64 * 1024)), pdf)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CashlinkDocumentTooLargeError);
    expect(emu.documents()).toHaveLength(0);
    // The aborted upload is not repeated.
    expect(apiRequests(emu, 'POST', '/v2/documents/').length).toBeLessThanOrEqual(1);
  });

  it.each([
    ['a Buffer', () => content],
    ['a file path', () => path],
  ])('re-reads %s for a retry after 503: one document, same key', async (_kind, source) => {
    emu.injectFault({ route: 'POST /v2/documents/', kind: 'server_error', status: 503, count: 2 });
    const uploaded = await documents().upload(source(), pdf, { idempotencyKey: 'doc-key' });
    expect(apiRequests(emu, 'POST', '/v2/documents/').map((r) => r.status)).toEqual([503, 503, 201]);
    expect(emu.documents()).toEqual([expect.objectContaining({ id: uploaded.id, sha256: sha256(content) })]);
  });

  it('re-reads a file after a dropped connection: the emulator replays the stored answer', async () => {
    emu.injectFault({ route: 'POST /v2/documents/', kind: 'drop_after_work', count: 1 });
    const uploaded = await documents().upload(path, pdf, { idempotencyKey: 'doc-drop' });
    expect(apiRequests(emu, 'POST', '/v2/documents/').map((r) => r.status)).toEqual(['dropped', 201]);
    expect(emu.effectsByIdempotencyKey()['doc-drop']).toBe(1);
    expect(emu.documents().map((d) => d.id)).toEqual([uploaded.id]);
  });

  it('does not retry a stream upload, and the error says why', async () => {
    emu.injectFault({ route: 'POST /v2/documents/', kind: 'server_error', status: 503, count: 1 });
    const error = await documents()
      .upload(Readable.from(chunksOf(content, 64 * 1024)), pdf)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CashlinkServerError);
    expect((error as Error).message).toContain('stream, which cannot be re-read');
    expect(apiRequests(emu, 'POST', '/v2/documents/')).toHaveLength(1);
    expect(emu.documents()).toHaveLength(0);
  });

  function writeTemp(name: string, bytes: Buffer): string {
    const file = join(dir, name);
    writeFileSync(file, bytes);
    return file;
  }
});

function* chunksOf(buffer: Buffer, size: number): Generator<Buffer> {
  for (let i = 0; i < buffer.length; i += size) yield buffer.subarray(i, i + size);
}
