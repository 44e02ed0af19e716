import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import busboy from 'busboy';
import { CashlinkDocumentTooLargeError } from '../errors/cashlink-client.error';
import { CashlinkError } from '../errors/cashlink.error';
import { assertMultipartWithinLimit, buildMultipartBody, type MultipartPayload } from './multipart';

interface ParsedFile {
  field: string;
  filename: string;
  mimeType: string;
  bytes: Buffer;
}

/** Parses the body with busboy, the same parser a real server uses. */
async function parse(
  payload: MultipartPayload,
  limit = 1 << 20,
): Promise<{ files: ParsedFile[]; length?: number; sent: number }> {
  const built = await buildMultipartBody(payload, limit);
  const chunks: Buffer[] = [];
  for await (const chunk of built.body) chunks.push(chunk as Buffer);
  const raw = Buffer.concat(chunks);
  const files: ParsedFile[] = [];
  await new Promise<void>((resolve, reject) => {
    const parser = busboy({ headers: { 'content-type': built.contentType }, defParamCharset: 'utf8' });
    parser.on('file', (field, stream, info) => {
      const parts: Buffer[] = [];
      stream.on('data', (d: Buffer) => parts.push(d));
      stream.on('end', () =>
        files.push({
          field,
          filename: info.filename ?? '',
          mimeType: info.mimeType,
          bytes: Buffer.concat(parts),
        }),
      );
    });
    parser.on('close', resolve);
    parser.on('error', reject);
    parser.end(raw);
  });
  return { files, length: built.contentLength, sent: raw.length };
}

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

describe('multipart body', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cashlink-multipart-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const content = randomBytes(70_000);
  const base = { field: 'file', filename: 'contract.pdf', contentType: 'application/pdf' };

  it('carries a Buffer byte for byte, with an exact Content-Length', async () => {
    const { files, length, sent } = await parse({ ...base, source: { kind: 'buffer', buffer: content } });
    expect(files).toHaveLength(1);
    expect(files[0]).toMatchObject({ field: 'file', filename: 'contract.pdf', mimeType: 'application/pdf' });
    expect(sha(files[0]!.bytes)).toBe(sha(content));
    expect(length).toBe(sent);
  });

  it('refuses a contentType with CR or LF (it would end the part headers early); the file name is neutralised', async () => {
    for (const contentType of ['application/pdf\r\nX-Injected: 1', 'application/pdf;\nx', 'text/plain\r']) {
      await expect(
        buildMultipartBody({ ...base, contentType, source: { kind: 'buffer', buffer: content } }, 1 << 20),
      ).rejects.toThrow(TypeError);
    }
    const { files } = await parse({
      ...base,
      filename: 'a.pdf"\r\nContent-Type: text/html',
      source: { kind: 'buffer', buffer: content },
    });
    expect(files).toHaveLength(1);
    expect(files[0]!.mimeType).toBe('application/pdf');
  });

  it('reads a path, each time it is built', async () => {
    const path = join(dir, 'a.pdf');
    writeFileSync(path, content);
    const payload: MultipartPayload = { ...base, source: { kind: 'path', path } };
    for (let i = 0; i < 2; i++) {
      const { files, length, sent } = await parse(payload);
      expect(sha(files[0]!.bytes)).toBe(sha(content));
      expect(length).toBe(sent);
    }
  });

  it('streams a Readable without a Content-Length', async () => {
    const { files, length } = await parse({
      ...base,
      source: { kind: 'stream', stream: Readable.from([content.subarray(0, 1000), content.subarray(1000)]) },
    });
    expect(sha(files[0]!.bytes)).toBe(sha(content));
    expect(length).toBeUndefined();
  });

  it('encodes a non-ASCII file name so that it arrives intact', async () => {
    const { files } = await parse({
      ...base,
      filename: 'Zeichnungsschein Müller "final".pdf',
      source: { kind: 'buffer', buffer: content },
    });
    expect(files[0]!.filename).toBe('Zeichnungsschein Müller "final".pdf');
  });

  it('refuses an oversized Buffer or file before sending', async () => {
    const path = join(dir, 'big.pdf');
    writeFileSync(path, content);
    await expect(
      assertMultipartWithinLimit({ ...base, source: { kind: 'buffer', buffer: content } }, 1000),
    ).rejects.toThrow(CashlinkDocumentTooLargeError);
    await expect(
      assertMultipartWithinLimit({ ...base, source: { kind: 'path', path } }, 1000),
    ).rejects.toThrow(CashlinkDocumentTooLargeError);
    await expect(buildMultipartBody({ ...base, source: { kind: 'path', path } }, 1000)).rejects.toThrow(
      CashlinkDocumentTooLargeError,
    );
  });

  it('counts a stream while sending and fails with a typed error past the limit', async () => {
    const built = await buildMultipartBody(
      {
        ...base,
        source: {
          kind: 'stream',
          stream: Readable.from([content.subarray(0, 600), content.subarray(600, 1200)]),
        },
      },
      1000,
    );
    const consume = async (): Promise<void> => {
      for await (const _chunk of built.body) void _chunk;
    };
    await expect(consume()).rejects.toThrow(CashlinkDocumentTooLargeError);
    expect(built.failure.error).toBeInstanceOf(CashlinkDocumentTooLargeError);
    expect((built.failure.error as CashlinkDocumentTooLargeError).sizeBytes).toBe(1200);
  });

  it('reports a missing file without its path', async () => {
    const path = join(dir, 'Max Mustermann passport.pdf');
    const error = await assertMultipartWithinLimit({ ...base, source: { kind: 'path', path } }, 1000).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(CashlinkError);
    expect((error as Error).message).toContain('ENOENT');
    expect((error as Error).message).not.toContain('Mustermann');
  });
});
