import type { IncomingMessage } from 'node:http';
import { createHash } from 'node:crypto';
import busboy from 'busboy';
import { detailError, mediaType, EmulatorHttpError } from './emulator-http';
import type { UploadedFile } from './emulator-api.routes';

/**
 * Parses a multipart upload and keeps the metadata of the part named `file` (name, content type,
 * size, SHA-256); the bytes are hashed on the fly and dropped. Other parts are read and ignored.
 * Answers 415 for another media type, 400 for a broken body and 413 for a file over `maxBytes`.
 */
export function parseUpload(req: IncomingMessage, maxBytes: number): Promise<UploadedFile | undefined> {
  return new Promise((resolve, reject) => {
    if (mediaType(req) !== 'multipart/form-data') {
      req.resume();
      reject(
        detailError(
          415,
          `Unsupported media type "${mediaType(req) || 'none'}" in request. Send multipart/form-data.`,
        ),
      );
      return;
    }
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: req.headers, // busboy reports 'limit' once a file *reaches* fileSize, so allow one more byte and
        // compare the real size ourselves: a file of exactly maxBytes is accepted.
        limits: { fileSize: maxBytes + 1, parts: 20 },
      });
    } catch (error) {
      req.resume();
      reject(detailError(400, `Multipart form parse error - ${(error as Error).message}`));
      return;
    }
    let file: UploadedFile | undefined;
    let tooLarge = false;
    let failed: EmulatorHttpError | undefined;
    parser.on('file', (name, stream, info) => {
      if (name !== 'file' || file !== undefined) {
        stream.resume();
        return;
      }
      const hash = createHash('sha256');
      let size = 0;
      stream.on('data', (chunk: Buffer) => {
        size += chunk.length;
        hash.update(chunk);
      });
      stream.on('limit', () => {
        tooLarge = true;
      });
      // A broken body is reported on the parser too; this listener only keeps the stream's copy of
      // the error from being unhandled.
      stream.on('error', () => undefined);
      stream.on('end', () => {
        file = {
          filename: info.filename ?? 'upload',
          contentType: info.mimeType || 'application/octet-stream',
          size,
          sha256: hash.digest('hex'),
        };
      });
    });
    parser.on('error', (error: Error) => {
      failed ??= detailError(400, `Multipart form parse error - ${error.message}`);
      req.unpipe(parser);
      if (req.readableEnded) reject(failed);
      else {
        req.on('end', () => reject(failed));
        req.resume();
      }
    });
    parser.on('close', () => {
      if (failed) return;
      if (tooLarge || (file !== undefined && file.size > maxBytes))
        reject(detailError(413, `The file is larger than the limit of ${maxBytes} bytes.`));
      else resolve(file);
    });
    req.on('close', () => {
      if (!req.complete) {
        failed ??= detailError(400, 'The client closed the connection before the body was complete.');
        reject(failed);
      }
    });
    req.pipe(parser);
  });
}
