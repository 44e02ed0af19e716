import { Logger, type OnApplicationShutdown } from '@nestjs/common';
import type {
  DataSource,
  EntitySubscriberInterface,
  QueryRunner,
  TransactionCommitEvent,
  TransactionRollbackEvent,
} from 'typeorm';
import { logKey } from '../common/log-key';

/** One write recorded in a caller's transaction, waiting for it to end. */
export interface PendingTransactionalWrite {
  key: string;
  /** Settles when the intent row is written in the transaction (rejects on a conflict). */
  recorded: Promise<unknown>;
  /** Called once the outermost transaction committed. */
  onCommit(): void;
  /** Called when the outermost transaction rolled back (or the commit failed). */
  onRollback(): void;
}

/**
 * Runs code after the caller's transaction commits: TypeORM broadcasts transaction events to the
 * DataSource's subscribers with the transaction's QueryRunner, so writes are keyed by QueryRunner.
 *
 * - Before the commit, it waits until every intent of that transaction is written: a write started
 *   without `await` is still part of the commit; if recording failed (e.g. `IdempotencyConflictError`),
 *   the commit fails and the transaction rolls back, so the caller's rows never exist without their intent.
 * - After the outermost commit, the writes are released to be sent (never before: nothing is sent for
 *   a transaction that rolls back).
 * - After the outermost rollback, they are dropped.
 */
export class IntentTransactionHooks implements EntitySubscriberInterface, OnApplicationShutdown {
  private readonly logger = new Logger('CashlinkIntents');
  private readonly pending = new WeakMap<QueryRunner, PendingTransactionalWrite[]>();

  /**
   * Warn when a transaction holding a durable write stays open this long: the usual cause is awaiting
   * the write inside its own transaction, which can never complete (the call waits for the commit).
   */
  static readonly STUCK_WARNING_MS = 10_000;

  private attachedTo: DataSource | undefined;

  /** Subscribes to the DataSource (once). */
  attach(dataSource: DataSource): void {
    if (!dataSource.subscribers.includes(this)) dataSource.subscribers.push(this);
    this.attachedTo = dataSource;
  }

  /** Nest lifecycle: unsubscribe when the app shuts down (the DataSource may outlive the module). */
  onApplicationShutdown(): void {
    if (this.attachedTo) this.detach(this.attachedTo);
  }

  detach(dataSource: DataSource): void {
    const index = dataSource.subscribers.indexOf(this);
    if (index >= 0) dataSource.subscribers.splice(index, 1);
  }

  /** Must be called synchronously while the caller's transaction is open. */
  register(queryRunner: QueryRunner, write: PendingTransactionalWrite): void {
    const list = this.pending.get(queryRunner) ?? [];
    list.push(write);
    this.pending.set(queryRunner, list);
    const timer = setTimeout(() => {
      if (this.pending.get(queryRunner)?.includes(write)) {
        this.logger.warn(
          `The transaction that recorded write ${logKey(write.key)} is still open after ${IntentTransactionHooks.STUCK_WARNING_MS} ms. ` +
            'A write made with { manager } is sent only after that transaction commits: do not await it inside the transaction.',
        );
      }
    }, IntentTransactionHooks.STUCK_WARNING_MS);
    timer.unref();
    write.recorded.then(
      () => undefined,
      () => undefined,
    );
    const clear = () => clearTimeout(timer);
    const { onCommit, onRollback } = write;
    write.onCommit = () => {
      clear();
      onCommit();
    };
    write.onRollback = () => {
      clear();
      onRollback();
    };
  }

  async beforeTransactionCommit(event: TransactionCommitEvent): Promise<void> {
    const writes = this.pending.get(event.queryRunner);
    if (!writes || writes.length === 0) return;
    // Include every write started in this transaction in the commit; a failed one fails the commit.
    await Promise.all(writes.map((w) => w.recorded));
  }

  async beforeTransactionRollback(event: TransactionRollbackEvent): Promise<void> {
    // Let a write started in a savepoint land in it before it rolls back (instead of in the outer
    // transaction, which may commit).
    const writes = this.pending.get(event.queryRunner);
    if (!writes || writes.length === 0) return;
    await Promise.allSettled(writes.map((w) => w.recorded));
  }

  afterTransactionCommit(event: TransactionCommitEvent): void {
    // A released savepoint also broadcasts a commit; only the outermost commit makes the rows durable.
    if (event.queryRunner.isTransactionActive) return;
    const writes = this.take(event.queryRunner);
    for (const write of writes) write.onCommit();
  }

  afterTransactionRollback(event: TransactionRollbackEvent): void {
    // A rolled-back savepoint is handled at the outer commit (the intent row is then missing).
    if (event.queryRunner.isTransactionActive) return;
    const writes = this.take(event.queryRunner);
    for (const write of writes) write.onRollback();
  }

  private take(queryRunner: QueryRunner): PendingTransactionalWrite[] {
    const writes = this.pending.get(queryRunner) ?? [];
    this.pending.delete(queryRunner);
    return writes;
  }
}
