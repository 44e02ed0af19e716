import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { CashlinkDocumentTooLargeError } from '../errors/cashlink-client.error';
import { CashlinkError } from '../errors/cashlink.error';

/** Where the bytes of an uploaded file come from. A Buffer or a path can be read again for a retry; a stream cannot. */
export type MultipartSource =
  { kind: 'buffer'; buffer: Buffer } | { kind: 'path'; path: string } | { kind: 'stream'; stream: Readable };

/** A multipart/form-data body with one file (Cashlink's `/v2/documents/` takes field `file`). */
export interface MultipartPayload {
  /** Form field name. Cashlink: `'file'`. */
  field: string;
  filename: string;
  contentType: string;
  source: MultipartSource;
}

/** Whether the body can be built again for a retry. */
export function isReplayableMultipart(payload: MultipartPayload): boolean {
  return payload.source.kind !== 'stream';
}

/**
 * Checks the size limit before anything is sent: the length of a Buffer, `stat` of a path.
 * A stream's size is unknown up front; it is counted while it is sent.
 */
export async function assertMultipartWithinLimit(
  payload: MultipartPayload,
  maxSizeBytes: number,
): Promise<void> {
  const size = await knownSize(payload.source);
  if (size !== undefined && size > maxSizeBytes) throw new CashlinkDocumentTooLargeError(maxSizeBytes, size);
}

async function knownSize(source: MultipartSource): Promise<number | undefined> {
  if (source.kind === 'buffer') return source.buffer.length;
  if (source.kind === 'path') {
    try {
      const stats = await stat(source.path);
      if (!stats.isFile()) throw Object.assign(new Error('not a regular file'), { code: 'ENOTFILE' });
      return stats.size;
    } catch (error) {
      // The path itself is left out of the message: file names often carry a person's name.
      const code = (error as NodeJS.ErrnoException).code ?? 'unknown';
      throw new CashlinkError(`Cannot read the document file (${code}); check the path passed to upload()`);
    }
  }
  return undefined;
}

/** A built body: a fresh stream per attempt, plus what the transport must know about it. */
export interface BuiltMultipartBody {
  body: Readable;
  contentType: string;
  /** Known for Buffers and paths; streams are sent chunked. */
  contentLength?: number;
  /** Set when the body stream failed (size limit passed, file unreadable): the transport throws this error. */
  failure: { error?: Error };
}

/**
 * Builds the multipart body by hand (no extra dependency): one part, streamed, so large files are not
 * held in memory. Call once per attempt; for a stream source only once at all.
 */
export async function buildMultipartBody(
  payload: MultipartPayload,
  maxSizeBytes: number,
): Promise<BuiltMultipartBody> {
  // A CR or LF would end the part's headers early and let the rest be read as headers or body.
  if (/[\r\n\0]/.test(payload.contentType)) throw new TypeError('contentType must be a single line');
  const boundary = `----cashlink-${randomBytes(16).toString('hex')}`;
  const head = Buffer.from(
    `--${boundary}\r\n` +
      `Content-Disposition: form-data; name="${quoted(payload.field)}"; ${filenameParams(payload.filename)}\r\n` +
      `Content-Type: ${payload.contentType}\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const size = await knownSize(payload.source);
  if (size !== undefined && size > maxSizeBytes) throw new CashlinkDocumentTooLargeError(maxSizeBytes, size);

  const failure: { error?: Error } = {};
  const source = payload.source;
  async function* chunks(): AsyncGenerator<Buffer> {
    yield head;
    const input: Iterable<Buffer> | AsyncIterable<Buffer | string> =
      source.kind === 'buffer'
        ? [source.buffer]
        : source.kind === 'path'
          ? createReadStream(source.path)
          : source.stream;
    let counted = 0;
    try {
      for await (const chunk of input) {
        const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
        counted += bytes.length;
        // Counted for every kind: a file can grow between stat and read, a stream has no size up front.
        if (counted > maxSizeBytes) throw new CashlinkDocumentTooLargeError(maxSizeBytes, counted);
        yield bytes;
      }
    } catch (error) {
      failure.error =
        error instanceof CashlinkError
          ? error
          : new CashlinkError(
              `Reading the document failed (${(error as NodeJS.ErrnoException).code ?? 'stream error'}); nothing was uploaded`,
            );
      throw failure.error;
    }
    yield tail;
  }
  return {
    body: Readable.from(chunks(), { objectMode: false }),
    contentType: `multipart/form-data; boundary=${boundary}`,
    contentLength: size === undefined ? undefined : head.length + size + tail.length,
    failure,
  };
}

function quoted(value: string): string {
  return value.replace(/[\r\n"\\]/g, '_');
}

/** RFC 7578 / 6266: a plain ASCII `filename`, plus `filename*` (UTF-8) when the name is not plain ASCII. */
function filenameParams(filename: string): string {
  const ascii = filename.replace(/[^\x20-\x7e]|["\\]/g, '_');
  if (ascii === filename) return `filename="${filename}"`;
  return `filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(filename)}`;
}
