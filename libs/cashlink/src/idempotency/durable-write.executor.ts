import { timeOrderedUuid } from '../common/time-ordered-id';
import type { EntityManager } from 'typeorm';
import { CashlinkAbortedError } from '../errors/cashlink-client.error';
import { CashlinkError, IdempotencyConflictError } from '../errors/cashlink.error';
import { sleep } from '../transport/abort';
import {
  assertValidIdempotencyKey,
  type CashlinkWrite,
  CashlinkWriteExecutor,
  type CashlinkWriteOptions,
} from '../http/cashlink-write-executor';
import type { CashlinkIntent } from './cashlink-intent.entity';
import { CashlinkIntentInProgressError, CashlinkIntentRolledBackError } from './cashlink-intent.error';
import { type CashlinkIntentRunner, type LiveRequest, unwrapOutcome } from './cashlink-intent.runner';
import type { CashlinkIntentStore } from './cashlink-intent.store';
import { countIntent, hashKey, inSpan } from '../telemetry/cashlink-telemetry';
import type { ResolvedIdempotencyOptions } from './idempotency.options';
import { prepareWrite, type PreparedWrite } from './intent-request';
import type { IntentTransactionHooks } from './intent-transaction.hooks';

/**
 * Every write as a durable intent (Cashlink's recommended sequence): record the intent with its key,
 * commit, call with `X-Idempotency-Key`, settle. A repeat of a settled key returns the stored outcome
 * without a call; the same key for another request is an `IdempotencyConflictError` before anything
 * is sent. With `{ manager }`, the intent is written in the caller's transaction and the call is made
 * after that transaction commits.
 */
export class DurableWriteExecutor extends CashlinkWriteExecutor {
  /**
   * How often a call waiting for another worker's attempt looks at the row again: first after
   * `POLL_MS`, doubling up to `MAX_POLL_MS` (a long attempt is not polled ten times a second).
   */
  static readonly POLL_MS = 100;
  static readonly MAX_POLL_MS = 2_000;

  constructor(
    private readonly store: CashlinkIntentStore,
    private readonly runner: CashlinkIntentRunner,
    private readonly hooks: IntentTransactionHooks,
    private readonly options: ResolvedIdempotencyOptions,
    private readonly now: () => number = Date.now,
  ) {
    super();
  }

  // Not `async`: with `{ manager }` the write must be registered with the transaction synchronously,
  // before the caller's callback can return and commit.
  override execute<T>(write: CashlinkWrite, opts: CashlinkWriteOptions = {}): Promise<T> {
    const key = opts.idempotencyKey ?? timeOrderedUuid();
    try {
      assertValidIdempotencyKey(key);
    } catch (error) {
      return Promise.reject(error as Error);
    }
    const live: LiveRequest = { timeoutMs: opts.timeoutMs, signal: opts.signal, maxRetries: opts.maxRetries };
    if (opts.manager && opts.manager.dataSource !== this.store.dataSource) {
      return Promise.reject(
        new CashlinkError(
          'The { manager } passed to a Cashlink write belongs to another DataSource than the one holding the ' +
            "intents table; pass a manager of that DataSource (see the module's dataSource option)",
        ),
      );
    }
    const queryRunner = opts.manager?.queryRunner;
    if (opts.manager && queryRunner?.isTransactionActive) {
      return this.executeAfterCommit<T>(write, key, opts.manager, live);
    }
    // No transaction open: the intent is written on its own (never through a runner that might open one).
    return this.executeNow<T>(write, key, live);
  }

  private async executeNow<T>(write: CashlinkWrite, key: string, live: LiveRequest): Promise<T> {
    const prepared = await prepareWrite(write, this.options.documentBytesLimit);
    const owner = this.runner.instanceId;
    const { intent, claimed } = await inSpan(
      'cashlink.intent.record',
      () => ({ 'cashlink.operation': write.operation, 'cashlink.intent.key_hash': hashKey(key) }),
      () => this.store.record({ ...this.newIntent(key, prepared), leaseOwner: owner }, this.now()),
      { describe: (r) => ({ 'cashlink.intent.new': r.claimed }) },
    );
    if (claimed) countIntent('recorded', write.operation);
    assertSameRequest(intent, prepared);
    const request = { ...live, multipart: prepared.liveMultipart };
    // Recorded by this call, already claimed by us: send it now (no separate claim: one commit less).
    if (claimed) return unwrapOutcome<T>(await this.runner.attempt(intent, request));
    return this.drive<T>(key, request);
  }

  private executeAfterCommit<T>(
    write: CashlinkWrite,
    key: string,
    manager: EntityManager,
    live: LiveRequest,
  ): Promise<T> {
    let resolve!: (value: T) => void;
    let reject!: (error: unknown) => void;
    const result = new Promise<T>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    // The caller may legitimately not await this promise inside the transaction (it settles after
    // the commit); mark it handled so a rejection is not an unhandled rejection. Awaiting it still
    // yields the rejection.
    result.catch(() => undefined);

    const recorded = (async () => {
      const prepared = await prepareWrite(write, this.options.documentBytesLimit);
      const { intent } = await inSpan(
        'cashlink.intent.record',
        () => ({ 'cashlink.operation': write.operation, 'cashlink.intent.key_hash': hashKey(key) }),
        () => this.store.record(this.newIntent(key, prepared), this.now(), manager),
      );
      assertSameRequest(intent, prepared);
      return prepared;
    })();
    recorded.catch((error: unknown) => reject(error));

    this.hooks.register(manager.queryRunner!, {
      key,
      recorded,
      onCommit: () => {
        void recorded
          .then(async (prepared) => {
            // The intent may have been in a savepoint that rolled back: then it is not there.
            if (!(await this.store.find(key))) throw new CashlinkIntentRolledBackError(key);
            // Counted once your commit made it real (a rolled-back intent never existed).
            countIntent('recorded', write.operation);
            return this.drive<T>(key, { ...live, multipart: prepared.liveMultipart });
          })
          .then(resolve, reject);
      },
      onRollback: () => reject(new CashlinkIntentRolledBackError(key)),
    });
    return result;
  }

  /**
   * Brings a recorded intent to an outcome for the caller: the stored outcome when settled, else
   * claim and send; while another worker holds it, wait (up to one lease time, polling with a
   * growing interval) for its outcome, as long as that worker keeps renewing its lease. The caller's signal ends the wait with `CashlinkAbortedError`
   * (the intent stays with the worker sending it).
   */
  private async drive<T>(key: string, live: LiveRequest): Promise<T> {
    let deadline = this.now() + this.options.leaseMs + DurableWriteExecutor.POLL_MS;
    let pollMs = DurableWriteExecutor.POLL_MS;
    for (;;) {
      const current = await this.store.find(key);
      if (!current) throw new CashlinkIntentRolledBackError(key);
      const outcome = this.runner.outcomeOf(current);
      if (outcome) return unwrapOutcome<T>(outcome);
      const claimed = await this.store.claim(key, this.runner.instanceId, this.now());
      if (claimed) return unwrapOutcome<T>(await this.runner.attempt(claimed, live));
      // The holder renews its lease while its call is in flight (a heartbeat): wait as long as it does.
      if (current.leaseUntil !== null)
        deadline = Math.max(deadline, current.leaseUntil + DurableWriteExecutor.POLL_MS);
      const left = deadline - this.now();
      if (left <= 0) throw new CashlinkIntentInProgressError(key);
      try {
        await sleep(Math.min(pollMs, left), live.signal);
      } catch {
        throw new CashlinkAbortedError(current.method, current.path, { cause: live.signal?.reason });
      }
      pollMs = Math.min(pollMs * 2, DurableWriteExecutor.MAX_POLL_MS);
    }
  }

  private newIntent(key: string, prepared: PreparedWrite) {
    return {
      key,
      operation: prepared.operation,
      method: prepared.method,
      path: prepared.path,
      requestBody: prepared.storedText,
      requestHash: prepared.hash,
      unrecoverableReason: prepared.unrecoverableReason,
      // Reserved for this caller for one lease time; the recovery worker takes it only if we die.
      nextAttemptAt: this.now() + this.options.leaseMs,
    };
  }
}

function assertSameRequest(intent: CashlinkIntent, prepared: PreparedWrite): void {
  if (intent.requestHash !== prepared.hash) throw new IdempotencyConflictError(intent.key);
}
