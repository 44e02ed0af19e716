import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';

/** High-resolution wall-clock milliseconds. */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

/** An answer other than success, thrown by handlers and turned into a response at the edge. */
export class EmulatorHttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly headers: Record<string, string> = {},
  ) {
    super(`HTTP ${status}`);
  }
}

/** `{"detail": message}` with the given status (DRF's shape for non-validation errors). */
export function detailError(
  status: number,
  detail: string,
  headers?: Record<string, string>,
): EmulatorHttpError {
  return new EmulatorHttpError(status, { detail }, headers);
}

/** Writes a JSON answer (or an empty one for `undefined`). */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent || res.destroyed) return;
  const payload = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(payload),
    'X-Request-Id': randomUUID(),
    ...headers,
  });
  res.end(payload);
}

/** Hard cap on what is read (and discarded) from an oversized body before the socket is cut. */
const DISCARD_CAP_BYTES = 64 * 1024 * 1024;

/**
 * Reads the whole body, up to `limit` bytes. A larger body is read to its end and discarded (so the
 * client can read the answer), then rejected with 413.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > DISCARD_CAP_BYTES) {
        req.destroy();
        return;
      }
      if (size > limit) {
        tooLarge = true;
        chunks.length = 0;
        return;
      }
      if (!tooLarge) chunks.push(chunk);
    });
    req.on('end', () => {
      if (tooLarge) {
        reject(detailError(413, `Request body is larger than the limit of ${limit} bytes.`));
      } else {
        resolve(Buffer.concat(chunks));
      }
    });
    req.on('error', reject);
    // A client that goes away mid-body: settle instead of waiting forever (no-op after 'end').
    req.on('close', () => {
      if (!req.complete)
        reject(detailError(400, 'The client closed the connection before the body was complete.'));
    });
  });
}

/** The media type of a request without parameters, lower case ('' when absent). */
export function mediaType(req: IncomingMessage): string {
  const header = req.headers['content-type'] ?? '';
  return header.split(';')[0]!.trim().toLowerCase();
}

/** Parses a JSON request body; 415 for another media type, 400 for malformed JSON. */
export function parseJsonBody(req: IncomingMessage, raw: Buffer, allowEmpty: boolean): unknown {
  if (raw.length === 0) {
    if (allowEmpty) return undefined;
    return {};
  }
  const type = mediaType(req);
  if (type !== 'application/json' && !type.endsWith('+json')) {
    throw detailError(415, `Unsupported media type "${type || 'none'}" in request. Send application/json.`);
  }
  try {
    return JSON.parse(raw.toString('utf8')) as unknown;
  } catch (error) {
    throw detailError(400, `JSON parse error - ${(error as Error).message}`);
  }
}
