import { Inject, Injectable } from '@nestjs/common';
import { Readable } from 'node:stream';
import { CASHLINK_CLIENT_OPTIONS } from '../cashlink.constants';
import { CashlinkWriteExecutor, type CashlinkWriteOptions } from '../http/cashlink-write-executor';
import { assertMultipartWithinLimit, type MultipartPayload, type MultipartSource } from '../http/multipart';
import type { ResolvedClientOptions } from '../options/client-options';

/** File name and type of an uploaded document. */
export interface CashlinkDocumentFile {
  /** Sent as the multipart file name. Not logged (names often contain a person's name). */
  filename: string;
  /** MIME type, e.g. `application/pdf`. */
  contentType: string;
}

/** Cashlink's answer to an upload: the document id to reference elsewhere. */
export interface CashlinkDocument {
  id: string;
  [field: string]: unknown;
}

/** Document uploads (`POST /v2/documents/`, multipart field `file`). */
@Injectable()
export class CashlinkDocumentsService {
  constructor(
    @Inject(CASHLINK_CLIENT_OPTIONS) private readonly options: ResolvedClientOptions,
    private readonly writes: CashlinkWriteExecutor,
  ) {}

  /**
   * Uploads a document from a Buffer, a readable stream or a file path. The size limit
   * (`documents.maxSizeBytes`) is checked before sending; a stream is counted while it is sent.
   * A Buffer or a path is read again for a retry; a stream cannot be, so a failed stream upload is not
   * retried (the error says so): prefer a path or a Buffer where you can.
   */
  async upload(
    source: Buffer | Readable | string,
    file: CashlinkDocumentFile,
    opts?: CashlinkWriteOptions,
  ): Promise<CashlinkDocument> {
    if (typeof file?.filename !== 'string' || file.filename.trim() === '' || /[\r\n]/.test(file.filename)) {
      throw new TypeError('filename must be a non-empty single-line string');
    }
    if (
      typeof file.contentType !== 'string' ||
      !/^[\w.+-]+\/[\w.+-]+([ \t]*;[^\r\n\0]*)?$/.test(file.contentType)
    ) {
      throw new TypeError(`contentType must be a MIME type such as 'application/pdf'`);
    }
    const multipart: MultipartPayload = {
      field: 'file',
      filename: file.filename,
      contentType: file.contentType,
      source: toSource(source),
    };
    // Before the write executor: an oversized document must not become a stored intent.
    await assertMultipartWithinLimit(multipart, this.options.documents.maxSizeBytes);
    return this.writes.execute<CashlinkDocument>(
      { operation: 'documents.upload', method: 'POST', path: '/v2/documents/', multipart },
      opts,
    );
  }
}

function toSource(source: Buffer | Readable | string): MultipartSource {
  if (Buffer.isBuffer(source)) return { kind: 'buffer', buffer: source };
  if (typeof source === 'string') return { kind: 'path', path: source };
  if (source instanceof Readable) return { kind: 'stream', stream: source };
  throw new TypeError('upload() takes a Buffer, a Readable stream or a file path');
}
