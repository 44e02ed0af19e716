import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { canonicalJson, prepareWrite, restoreMultipart } from './intent-request';

const write = (json: unknown) => ({
  operation: 'investments.create',
  method: 'POST' as const,
  path: '/v2/investments/',
  json,
});

describe('intent requests', () => {
  it('canonical JSON sorts keys at every depth and drops undefined members', () => {
    expect(canonicalJson({ b: 1, a: { d: [{ y: 1, x: 2 }], c: undefined } })).toBe(
      '{"a":{"d":[{"x":2,"y":1}]},"b":1}',
    );
  });

  it('the hash ignores key order but not values, paths or operations', async () => {
    const a = await prepareWrite(write({ units: 1, investor_id: 'i' }), 0);
    const b = await prepareWrite(write({ investor_id: 'i', units: 1 }), 0);
    const c = await prepareWrite(write({ investor_id: 'i', units: 2 }), 0);
    const d = await prepareWrite({ ...write({ investor_id: 'i', units: 1 }), path: '/v2/investors/' }, 0);
    const e = await prepareWrite({ ...write({ investor_id: 'i', units: 1 }), operation: 'other' }, 0);
    expect(a.hash).toBe(b.hash);
    expect(new Set([a.hash, c.hash, d.hash, e.hash]).size).toBe(4);
    expect(JSON.parse(a.storedText)).toEqual({ json: { units: 1, investor_id: 'i' } });
  });

  describe('documents', () => {
    const doc = (source: never) => ({
      operation: 'documents.upload',
      method: 'POST' as const,
      path: '/v2/documents/',
      multipart: { field: 'file', filename: 'a.pdf', contentType: 'application/pdf', source },
    });
    let dir: string;
    beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'intent-request-'))));
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it('keeps a Buffer within the limit as base64 and restores the same bytes', async () => {
      const bytes = Buffer.from('%PDF-1.4 hello');
      const prepared = await prepareWrite(doc({ kind: 'buffer', buffer: bytes } as never), 100);
      expect(prepared.unrecoverableReason).toBeNull();
      const restored = await restoreMultipart(prepared.stored.document!);
      expect(restored).toMatchObject({
        ok: true,
        payload: { filename: 'a.pdf', source: { kind: 'buffer', buffer: bytes } },
      });
    });

    it('a Buffer and a stream with the same content are the same request; a stream within the limit is kept', async () => {
      const fromBuffer = await prepareWrite(
        doc({ kind: 'buffer', buffer: Buffer.from('abc') } as never),
        100,
      );
      const fromStream = await prepareWrite(
        doc({ kind: 'stream', stream: Readable.from([Buffer.from('a'), Buffer.from('bc')]) } as never),
        100,
      );
      expect(fromStream.hash).toBe(fromBuffer.hash);
      expect(fromStream.stored.document?.base64).toBe(Buffer.from('abc').toString('base64'));
      expect(fromStream.liveMultipart?.source).toEqual({ kind: 'buffer', buffer: Buffer.from('abc') });
    });

    it('a stream over the limit is passed on whole for this process but not kept', async () => {
      const prepared = await prepareWrite(
        doc({ kind: 'stream', stream: Readable.from([Buffer.from('abcdef'), Buffer.from('ghij')]) } as never),
        4,
      );
      expect(prepared.unrecoverableReason).toMatch(
        /stream larger than idempotency\.documentBytesLimit \(4 bytes\)/,
      );
      expect(prepared.stored.document?.base64).toBeUndefined();
      const live = prepared.liveMultipart!.source as { kind: 'stream'; stream: Readable };
      const chunks: Buffer[] = [];
      for await (const chunk of live.stream) chunks.push(chunk as Buffer);
      expect(Buffer.concat(chunks).toString()).toBe('abcdefghij');
      expect(await restoreMultipart(prepared.stored.document!)).toEqual({
        ok: false,
        reason: 'the document bytes were not kept',
      });
    });

    it('keeps a path with its hash and refuses to restore a changed or missing file', async () => {
      const file = join(dir, 'x.pdf');
      writeFileSync(file, 'one');
      const prepared = await prepareWrite(doc({ kind: 'path', path: file } as never), 0);
      expect(prepared.stored.document).toMatchObject({ path: file, size: 3 });
      expect(await restoreMultipart(prepared.stored.document!)).toMatchObject({
        ok: true,
        payload: { source: { kind: 'path', path: file } },
      });
      writeFileSync(file, 'two');
      expect(await restoreMultipart(prepared.stored.document!)).toMatchObject({
        ok: false,
        reason: expect.stringMatching(/changed/),
      });
      rmSync(file);
      expect(await restoreMultipart(prepared.stored.document!)).toMatchObject({
        ok: false,
        reason: expect.stringMatching(/ENOENT/),
      });
    });
  });
});
