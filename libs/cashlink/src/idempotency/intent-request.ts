import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import type { CashlinkWrite } from '../http/cashlink-write-executor';
import type { MultipartPayload } from '../http/multipart';

/** How an upload is kept in the intent row so that it can be resent after a crash. */
export interface StoredDocument {
  field: string;
  filename: string;
  contentType: string;
  /** SHA-256 (hex) of the content, when known (absent for a stream too large to keep). */
  sha256?: string;
  size?: number;
  /** The bytes, base64, when at most `documentBytesLimit`. */
  base64?: string;
  /** The file path, for a path source (its hash is checked before resending). */
  path?: string;
}

/** What the `request_body` column holds. */
export interface StoredRequest {
  json?: unknown;
  document?: StoredDocument;
}

/** A write prepared for recording: what is stored, its hash, and what the first attempt sends. */
export interface PreparedWrite {
  operation: string;
  method: 'POST' | 'PATCH';
  path: string;
  stored: StoredRequest;
  /** JSON text of `stored` for the `request_body` column. */
  storedText: string;
  hash: string;
  /** Set when a crash would make the intent impossible to resend. */
  unrecoverableReason: string | null;
  /** The multipart payload for this process's attempts (a stream already read is re-assembled here). */
  liveMultipart?: MultipartPayload;
}

/**
 * JSON with object keys sorted, so that `{a, b}` and `{b, a}` are the same request. `undefined`
 * members are dropped, as `JSON.stringify` drops them from the body actually sent.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value)) ?? 'null';
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const member = (value as Record<string, unknown>)[key];
      if (member !== undefined) out[key] = sortKeys(member);
    }
    return out;
  }
  return value;
}

export function sha256Hex(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** SHA-256 of a file, streamed. */
export async function sha256OfFile(path: string): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(path)) {
    const bytes = chunk as Buffer;
    size += bytes.length;
    hash.update(bytes);
  }
  return { sha256: hash.digest('hex'), size };
}

/**
 * Reads a stream up to `limit` bytes. Returns the whole content when it ends within the limit, else
 * the bytes read so far and a stream that yields them followed by the rest (sent once, never kept).
 */
async function readUpTo(
  stream: Readable,
  limit: number,
): Promise<{ complete: true; buffer: Buffer } | { complete: false; rest: Readable }> {
  const chunks: Buffer[] = [];
  let size = 0;
  const iterator = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer | string>;
  for (;;) {
    const next = await iterator.next();
    if (next.done) return { complete: true, buffer: Buffer.concat(chunks) };
    const bytes = typeof next.value === 'string' ? Buffer.from(next.value) : next.value;
    chunks.push(bytes);
    size += bytes.length;
    if (size > limit) {
      async function* replay(): AsyncGenerator<Buffer> {
        yield* chunks;
        for (;;) {
          const more = await iterator.next();
          if (more.done) return;
          yield typeof more.value === 'string' ? Buffer.from(more.value) : more.value;
        }
      }
      return { complete: false, rest: Readable.from(replay(), { objectMode: false }) };
    }
  }
}

/**
 * Turns a write into what is recorded before the call. Documents: a Buffer (or a stream that ends
 * within the limit) up to `documentBytesLimit` is kept as base64; a path is kept as the path plus the
 * file's SHA-256; anything larger is sent by this process only, and the row says why it cannot be
 * resent after a crash.
 */
export async function prepareWrite(write: CashlinkWrite, documentBytesLimit: number): Promise<PreparedWrite> {
  const stored: StoredRequest = {};
  let unrecoverableReason: string | null = null;
  let liveMultipart: MultipartPayload | undefined;
  let hashedBody: unknown = write.json === undefined ? null : write.json;

  if (write.multipart) {
    const m = write.multipart;
    const base = { field: m.field, filename: m.filename, contentType: m.contentType };
    const source = m.source;
    let doc: StoredDocument;
    if (source.kind === 'path') {
      const { sha256, size } = await sha256OfFile(source.path);
      doc = { ...base, sha256, size, path: source.path };
      liveMultipart = m;
    } else {
      let buffer: Buffer | undefined;
      if (source.kind === 'buffer') {
        buffer = source.buffer;
        liveMultipart = m;
      } else {
        const read = await readUpTo(source.stream, documentBytesLimit);
        if (read.complete) {
          buffer = read.buffer;
          liveMultipart = { ...m, source: { kind: 'buffer', buffer } };
        } else {
          liveMultipart = { ...m, source: { kind: 'stream', stream: read.rest } };
          unrecoverableReason = `the document came as a stream larger than idempotency.documentBytesLimit (${documentBytesLimit} bytes), so its bytes were not kept and it cannot be resent after a crash`;
        }
      }
      if (buffer && buffer.length <= documentBytesLimit) {
        doc = { ...base, sha256: sha256Hex(buffer), size: buffer.length, base64: buffer.toString('base64') };
      } else if (buffer) {
        doc = { ...base, sha256: sha256Hex(buffer), size: buffer.length };
        unrecoverableReason = `the document (${buffer.length} bytes) is larger than idempotency.documentBytesLimit (${documentBytesLimit} bytes), so its bytes were not kept and it cannot be resent after a crash`;
      } else {
        doc = { ...base };
      }
    }
    stored.document = doc;
    // Identity of an upload: its name, type and content hash (a stream too large to keep hashes as
    // its name and type only).
    hashedBody = { document: { ...base, sha256: doc.sha256 ?? null } };
  } else if (write.json !== undefined) {
    stored.json = write.json;
  }

  const hash = sha256Hex(
    canonicalJson({ operation: write.operation, method: write.method, path: write.path, body: hashedBody }),
  );
  return {
    operation: write.operation,
    method: write.method,
    path: write.path,
    stored,
    storedText: JSON.stringify(stored),
    hash,
    unrecoverableReason,
    liveMultipart,
  };
}

/** Why a stored document cannot be resent, or the payload to resend. */
export async function restoreMultipart(
  doc: StoredDocument,
): Promise<{ ok: true; payload: MultipartPayload } | { ok: false; reason: string }> {
  const base = { field: doc.field, filename: doc.filename, contentType: doc.contentType };
  if (doc.base64 !== undefined) {
    return {
      ok: true,
      payload: { ...base, source: { kind: 'buffer', buffer: Buffer.from(doc.base64, 'base64') } },
    };
  }
  if (doc.path !== undefined) {
    let actual: string;
    try {
      actual = (await sha256OfFile(doc.path)).sha256;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'unknown';
      return { ok: false, reason: `the document file can no longer be read (${code})` };
    }
    if (actual !== doc.sha256) {
      return {
        ok: false,
        reason: 'the document file changed since the intent was recorded (SHA-256 differs)',
      };
    }
    return { ok: true, payload: { ...base, source: { kind: 'path', path: doc.path } } };
  }
  return { ok: false, reason: 'the document bytes were not kept' };
}
