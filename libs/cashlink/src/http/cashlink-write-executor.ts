import type { EntityManager } from 'typeorm';
import type { MultipartPayload } from './multipart';

/** A write to Cashlink, described so that it can be stored and sent again (durable idempotency). */
export interface CashlinkWrite {
  /** Stable name of the operation, e.g. `'investments.create'`. Part of the request identity. */
  operation: string;
  method: 'POST' | 'PATCH';
  /** Path relative to the API base, e.g. `'/v2/investments/'`. */
  path: string;
  /** JSON body. */
  json?: unknown;
  /** Multipart body (document uploads). */
  multipart?: MultipartPayload;
}

/** Options every write accepts. */
export interface CashlinkWriteOptions {
  /**
   * The idempotency key sent as `X-Idempotency-Key`: your own id for this intent (e.g. your order id),
   * so that a repeat after a crash or a lost answer cannot create a second object. Default: a new UUIDv7 (`timeOrderedUuid`:
   * time-ordered, 74 random bits, so that the intents' key index grows at its right edge).
   */
  idempotencyKey?: string;
  /**
   * Your TypeORM transaction: with durable idempotency the intent commits together with your own rows,
   * and Cashlink is called only after that commit. Without durable idempotency (`persistence: false` or
   * `idempotency: false`) the write is refused with `CashlinkConfigError` and nothing is sent: make the
   * call after your commit instead.
   */
  manager?: EntityManager;
  /** Deadline of one attempt, in ms. @default `http.timeoutMs` */
  timeoutMs?: number;
  /** Cancels the call (and its retries). */
  signal?: AbortSignal;
  /** Retries for this call. @default `http.maxRetries` */
  maxRetries?: number;
}

/**
 * The seam every resource write goes through. Client core binds it to `DirectWriteExecutor`; the
 * idempotency feature binds it to its durable executor (see `CASHLINK_DURABLE_WRITE_EXECUTOR`).
 */
export abstract class CashlinkWriteExecutor {
  /**
   * Sends `write` with an idempotency key and returns the parsed answer body. Throws the library's
   * errors; when Cashlink answered 2xx with a body that is not JSON, `CashlinkUnreadableAnswerError`:
   * the write was accepted, so do not resend it with a new key (repeat it with the same key, or look
   * the object up).
   */
  abstract execute<T>(write: CashlinkWrite, opts?: CashlinkWriteOptions): Promise<T>;
}

/** Keys must be a header value Cashlink can store: printable ASCII, no spaces, at most 255 characters (assumed). */
export function assertValidIdempotencyKey(key: string): void {
  if (typeof key !== 'string' || !/^[\x21-\x7e]{1,255}$/.test(key)) {
    throw new TypeError(
      'idempotencyKey must be 1 to 255 printable ASCII characters without spaces (e.g. a UUID or your own id)',
    );
  }
}
