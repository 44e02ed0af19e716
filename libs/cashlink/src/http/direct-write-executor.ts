import { timeOrderedUuid } from '../common/time-ordered-id';
import { Injectable } from '@nestjs/common';
import { CashlinkConfigError } from '../errors/cashlink.error';
import { CashlinkHttpClient } from './cashlink-http.client';
import {
  assertValidIdempotencyKey,
  type CashlinkWrite,
  CashlinkWriteExecutor,
  type CashlinkWriteOptions,
} from './cashlink-write-executor';

/**
 * Sends each write straight away with an idempotency key (the caller's, else a new UUIDv7) and
 * stores nothing. The HTTP client retries it with the same key on transient failures, and Cashlink
 * answers a repeat with the stored response; but if the process dies, the intent is gone. Durable
 * idempotency (the default with persistence) replaces this executor.
 */
@Injectable()
export class DirectWriteExecutor extends CashlinkWriteExecutor {
  constructor(private readonly http: CashlinkHttpClient) {
    super();
  }

  override async execute<T>(write: CashlinkWrite, opts: CashlinkWriteOptions = {}): Promise<T> {
    // Sent now, a write inside the caller's open transaction would reach Cashlink before the commit:
    // after a rollback Cashlink would hold an object with no business row. Refused, nothing sent.
    if (opts.manager !== undefined) {
      throw new CashlinkConfigError([
        `${write.method} ${write.path} was given { manager }, which needs durable idempotency (persistence and ` +
          'idempotency enabled); nothing was sent. Enable them, or make the call after your transaction commits.',
      ]);
    }
    const idempotencyKey = opts.idempotencyKey ?? timeOrderedUuid();
    assertValidIdempotencyKey(idempotencyKey);
    const response = await this.http.request<T>({
      method: write.method,
      path: write.path,
      json: write.json,
      multipart: write.multipart,
      idempotencyKey,
      timeoutMs: opts.timeoutMs,
      signal: opts.signal,
      maxRetries: opts.maxRetries,
    });
    return response.data;
  }
}
