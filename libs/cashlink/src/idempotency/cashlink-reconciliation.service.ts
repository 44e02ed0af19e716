import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import type { EventEmitter2 } from '@nestjs/event-emitter';
import { CASHLINK_EVENTS } from '../events/cashlink-events.constants';
import { idleSqliteConnection } from '../persistence/sqlite-connection';
import { SqliteGroupCommit } from '../persistence/sqlite-group-commit';
import { storeDialectOf } from '../persistence/store-dialect';
import { logKey } from '../common/log-key';
import { intentBinding } from '../protection/protected-columns';
import { CashlinkNotFoundError } from '../errors/cashlink-api.error';
import type { CashlinkHttpClient } from '../http/cashlink-http.client';
import {
  AWAITING_RESOLUTION_STATES,
  CASHLINK_INTENTS_TABLE,
  CashlinkIntent as CashlinkIntentEntity,
  type CashlinkIntent,
  type CashlinkIntentErrorRecord,
  type CashlinkIntentState,
} from './cashlink-intent.entity';
import {
  CASHLINK_INTENT_RESOLUTIONS_TABLE,
  CashlinkIntentResolution,
} from './cashlink-intent-resolution.entity';
import type { CashlinkIntentRunner } from './cashlink-intent.runner';
import { type CashlinkIntentStore, newLeaseToken } from './cashlink-intent.store';
import {
  CashlinkIntentNotAwaitingResolutionError,
  CashlinkIntentNotFoundError,
  CashlinkReconcileCandidateError,
  CashlinkResolutionInputError,
} from './cashlink-reconciliation.error';
import type {
  CashlinkIntentResolutionView,
  CashlinkReconcileOptions,
  CashlinkReconciliation,
  CashlinkResolutionInput,
  CashlinkResolutionResult,
} from './cashlink-reconciliation.types';
import { IntentCandidateLookup } from './intent-candidates.lookup';
import { IntentResolvedEvent } from './intent-resolved.event';
import { parseStoredJson } from './stored-json';

/** One statement of a resolution's transaction (`?` placeholders). */
interface Statement {
  sql: string;
  params: unknown[];
  /** It must change exactly one row (the guarded state change). */
  expectOne?: boolean;
}

export function toResolutionView(row: CashlinkIntentResolution): CashlinkIntentResolutionView {
  return {
    id: row.id,
    key: row.intentKey,
    action: row.action,
    actor: row.actor,
    reason: row.reason,
    previousState: row.previousState,
    objectId: row.objectId,
    newKey: row.newKey,
    createdAt: new Date(row.createdAt),
  };
}

/**
 * Reconciliation of intents whose outcome is unknown (`expired`, `needs_review`): `reconcile` looks at
 * Cashlink for what the request may have created; `resolve` records a person's decision and carries it
 * out. Every resolution is one transaction guarded by the intent's state and a unique resolution per
 * intent, so a double submit (two tabs, a retried CLI call, two operators) changes nothing the second time.
 */
export class CashlinkReconciliationService {
  private readonly logger = new Logger('CashlinkReconciliation');
  private readonly lookup: IntentCandidateLookup;

  constructor(
    private readonly store: CashlinkIntentStore,
    private readonly runner: CashlinkIntentRunner,
    private readonly http: CashlinkHttpClient,
    /** The intents' lease time (`idempotency.leaseMs`): the new key of a send_again is recorded claimed. */
    private readonly leaseMs: number,
    private readonly events?: EventEmitter2,
    private readonly now: () => number = Date.now,
  ) {
    this.lookup = new IntentCandidateLookup(http);
  }

  /** Looks at Cashlink for objects that the intent `key` may have created. Changes nothing. */
  async reconcile(key: string, options: CashlinkReconcileOptions = {}): Promise<CashlinkReconciliation> {
    const intent = await this.requireIntent(key);
    return this.lookup.find(intent, options);
  }

  /**
   * Records a person's decision about an `expired` or `needs_review` intent and carries it out:
   * - `created`: the object is read at Cashlink (a 404 refuses it), stored as the intent's answer, the
   *   intent becomes `succeeded` and `CASHLINK_EVENTS.intentSucceeded` is emitted;
   * - `send_again`: the intent becomes `replaced` and the same request is recorded under a new key
   *   (default `<key>-again`) in the same transaction, then sent; the old key is never sent again;
   * - `abandoned`: the intent becomes `abandoned`.
   * Bad input, an unknown key, an intent not waiting for a person and a second resolution throw typed
   * errors and change nothing.
   */
  async resolve(key: string, input: CashlinkResolutionInput): Promise<CashlinkResolutionResult> {
    const actor = typeof input?.actor === 'string' ? input.actor.trim() : '';
    const reason = typeof input?.reason === 'string' ? input.reason.trim() : '';
    if (!['created', 'send_again', 'abandoned'].includes(input?.action)) {
      throw new CashlinkResolutionInputError(
        `Unknown resolution action ${JSON.stringify(input?.action)}: use created, send_again or abandoned. Nothing was changed.`,
      );
    }
    if (actor === '' || actor.length > 200) {
      throw new CashlinkResolutionInputError(
        'A resolution needs who decided it (actor, 1 to 200 characters). Nothing was changed.',
      );
    }
    if (reason === '') {
      throw new CashlinkResolutionInputError('A resolution needs a reason. Nothing was changed.');
    }
    const intent = await this.requireAwaiting(key);
    if (intent.erasedAt !== null && intent.erasedAt !== undefined && input.action !== 'abandoned') {
      // Its personal data was erased on request: neither stored again as an answer nor sent again.
      throw new CashlinkResolutionInputError(
        `The intent ${logKey(key)} had its personal data erased; it can only be resolved as abandoned. Nothing was changed.`,
      );
    }

    if (input.action === 'created') {
      const objectId = typeof input.objectId === 'string' ? input.objectId.trim() : '';
      if (objectId === '') {
        throw new CashlinkResolutionInputError(
          'A "created" resolution needs the id of the object Cashlink created. Nothing was changed.',
        );
      }
      const path = this.lookup.objectPath(intent, objectId);
      let object: { status: number; data: unknown };
      try {
        object = await this.http.request<unknown>({ method: 'GET', path });
      } catch (error) {
        if (error instanceof CashlinkNotFoundError) {
          throw new CashlinkReconcileCandidateError(key, objectId, 'Cashlink does not know it (404)');
        }
        throw error;
      }
      const status = intent.method === 'POST' ? 201 : 200;
      const body = JSON.stringify(object.data ?? null);
      const resolution = await this.commit(intent, actor, reason, 'created', objectId, null, (now) => [
        this.transition(intent, 'succeeded', now, { status, body }),
      ]);
      this.runner.emit(intent, { state: 'succeeded', responseStatus: status, responseBody: body });
      this.logger.log(`Intent ${logKey(key)} resolved as created (${objectId}) by ${actor}`);
      return { resolution, state: 'succeeded' };
    }

    if (input.action === 'abandoned') {
      const resolution = await this.commit(intent, actor, reason, 'abandoned', null, null, (now) => [
        this.transition(intent, 'abandoned', now, {
          reason: `abandoned by ${actor} on ${new Date(now).toISOString()}`,
        }),
      ]);
      this.logger.log(`Intent ${logKey(key)} abandoned by ${actor}`);
      return { resolution, state: 'abandoned' };
    }

    // send_again
    if (!intent.requestBody) {
      throw new CashlinkResolutionInputError(
        `The request of intent ${key} was purged; it cannot be sent again. Nothing was changed.`,
      );
    }
    const newKey = input.newKey?.trim() || (key.length <= 249 ? `${key}-again` : randomUUID());
    if (newKey.length > 255) {
      throw new CashlinkResolutionInputError(
        'The new key is longer than 255 characters. Nothing was changed.',
      );
    }
    if (await this.store.find(newKey)) {
      throw new CashlinkResolutionInputError(
        `The new key ${newKey} is already used by another intent; pass another newKey. Nothing was changed.`,
      );
    }
    const lease = newLeaseToken(this.runner.instanceId);
    let recorded: CashlinkIntent | undefined;
    const resolution = await this.commit(intent, actor, reason, 'send_again', null, newKey, (now) => {
      recorded = Object.assign(new CashlinkIntentEntity(), {
        key: newKey,
        operation: intent.operation,
        method: intent.method,
        path: intent.path,
        requestBody: intent.requestBody,
        requestHash: intent.requestHash,
        state: 'pending',
        // Recorded already claimed by us (one attempt, under our lease): sent right after the commit, and
        // by recovery after the lease if this process dies first.
        attempts: 1,
        nextAttemptAt: now + this.leaseMs,
        leaseOwner: lease,
        leaseUntil: now + this.leaseMs,
        responseStatus: null,
        responseBody: null,
        lastError: null,
        unrecoverableReason: intent.unrecoverableReason,
        conflicts: 0,
        createdAt: now,
        updatedAt: now,
        settledAt: null,
        purgedAt: null,
        erasedAt: null,
      } satisfies Omit<CashlinkIntent, never>);
      const r = recorded;
      return [
        this.transition(intent, 'replaced', now, {
          reason: `not created (decided by ${actor} on ${new Date(now).toISOString()}); sent again under key ${newKey}`,
        }),
        {
          sql: `INSERT INTO "${CASHLINK_INTENTS_TABLE}" ("idempotency_key", "operation", "method", "path", "request_body",
              "request_hash", "state", "attempts", "next_attempt_at", "lease_owner", "lease_until", "unrecoverable_reason",
              "conflicts", "created_at", "updated_at") VALUES (?, ?, ?, ?, ?, ?, 'pending', 1, ?, ?, ?, ?, 0, ?, ?)`,
          params: [
            r.key,
            r.operation,
            r.method,
            r.path,
            this.store.codec.seal(r.requestBody, intentBinding('request_body', r.key)),
            r.requestHash,
            r.nextAttemptAt,
            r.leaseOwner,
            r.leaseUntil,
            r.unrecoverableReason,
            now,
            now,
          ],
        },
      ];
    });
    this.logger.log(
      `Intent ${logKey(key)} resolved as not created by ${actor}; sending it again as ${logKey(newKey)}`,
    );
    // Committed with our lease: sent now; if this process dies first, recovery sends it after the lease.
    const outcome = await this.runner.attempt(recorded!).catch((error: unknown) => ({
      state: 'pending' as const,
      error: error as Error,
    }));
    return {
      resolution,
      state: 'replaced',
      newIntent: {
        key: newKey,
        state: outcome.state,
        ...(outcome.state === 'succeeded' ? {} : { error: outcome.error.message }),
      },
    };
  }

  /** The resolution of an intent, or null. */
  async findResolution(key: string): Promise<CashlinkIntentResolutionView | null> {
    const row = await this.store.dataSource.manager.findOneBy(CashlinkIntentResolution, { intentKey: key });
    return row ? toResolutionView(row) : null;
  }

  /** The resolution that sent an intent again under `newKey` (to find the original key), or null. */
  async findResolutionByNewKey(newKey: string): Promise<CashlinkIntentResolutionView | null> {
    const row = await this.store.dataSource.manager.findOneBy(CashlinkIntentResolution, { newKey });
    return row ? toResolutionView(row) : null;
  }

  /** Resolutions, newest first. */
  async listResolutions(query: { limit?: number } = {}): Promise<CashlinkIntentResolutionView[]> {
    const rows = await this.store.dataSource.manager.find(CashlinkIntentResolution, {
      order: { createdAt: 'DESC', id: 'ASC' },
      take: query.limit ?? 100,
    });
    return rows.map(toResolutionView);
  }

  private async requireIntent(key: string): Promise<CashlinkIntent> {
    const intent = typeof key === 'string' && key !== '' ? await this.store.find(key) : null;
    if (!intent) throw new CashlinkIntentNotFoundError(String(key));
    return intent;
  }

  private async requireAwaiting(key: string): Promise<CashlinkIntent> {
    const intent = await this.requireIntent(key);
    if (!AWAITING_RESOLUTION_STATES.includes(intent.state)) {
      throw new CashlinkIntentNotAwaitingResolutionError(
        key,
        intent.state,
        (await this.findResolution(key)) ?? undefined,
      );
    }
    return intent;
  }

  /**
   * One transaction: the intent's state change (only from the state it was read in), the resolution row
   * (unique per intent) and, for send_again, the new intent. Either all commit, or none and the caller
   * gets why.
   */
  private async commit(
    intent: CashlinkIntent,
    actor: string,
    reason: string,
    action: CashlinkIntentResolution['action'],
    objectId: string | null,
    newKey: string | null,
    statements: (now: number) => Statement[],
  ): Promise<CashlinkIntentResolutionView> {
    const now = this.now();
    const row = {
      id: randomUUID(),
      intentKey: intent.key,
      action,
      actor,
      reason,
      previousState: intent.state,
      objectId,
      newKey,
      createdAt: now,
    } satisfies Omit<CashlinkIntentResolution, never>;
    const all: Statement[] = [
      ...statements(now),
      {
        sql: `INSERT INTO "${CASHLINK_INTENT_RESOLUTIONS_TABLE}" ("id", "intent_key", "action", "actor", "reason",
            "previous_state", "object_id", "new_key", "created_at") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        params: [row.id, row.intentKey, action, actor, reason, row.previousState, objectId, newKey, now],
      },
    ];
    try {
      await this.runAtomically(intent.key, all);
    } catch (error) {
      const existing = await this.findResolution(intent.key);
      if (error instanceof CashlinkIntentNotAwaitingResolutionError || (existing && existing.id !== row.id)) {
        // Another resolution (or a worker) got there first: report it like any double submit.
        throw new CashlinkIntentNotAwaitingResolutionError(
          intent.key,
          (await this.store.find(intent.key))?.state ?? intent.state,
          existing ?? undefined,
        );
      }
      throw error;
    }
    const view = toResolutionView(Object.assign(new CashlinkIntentResolution(), row));
    try {
      this.events?.emit(
        CASHLINK_EVENTS.intentResolved,
        new IntentResolvedEvent(intent.key, intent.operation, view),
      );
    } catch (error) {
      // A listener's failure must not turn a committed resolution into an error for the operator.
      this.logger.error(
        `A listener of ${CASHLINK_EVENTS.intentResolved} threw for intent ${logKey(intent.key)}: ${(error as Error)?.name ?? 'error'}`,
      );
    }
    return view;
  }

  /**
   * Runs the statements in one transaction; a statement with `expectOne` that changes no row rolls it
   * back with `CashlinkIntentNotAwaitingResolutionError`.
   */
  private async runAtomically(key: string, statements: Statement[]): Promise<void> {
    const dataSource = this.store.dataSource;
    const handle = await idleSqliteConnection(dataSource);
    if (handle) {
      // SQLite: TypeORM shares one connection, so a transaction opened with `dataSource.transaction`
      // would nest into (and roll back with) any other open one, e.g. a second resolution at the same
      // moment. Run the statements synchronously on the idle raw handle instead: nothing can interleave.
      handle.transaction(() => {
        for (const statement of statements) {
          const { changes } = handle.prepare(statement.sql).run(...statement.params);
          if (statement.expectOne && changes !== 1)
            throw new CashlinkIntentNotAwaitingResolutionError(key, 'expired');
        }
      })();
      // A durable write through the library's group commit syncs the log with ours in it (with
      // synchronous=NORMAL a plain commit is not on disk yet): a resolution must survive a power loss
      // before the new key is sent.
      await SqliteGroupCommit.of(dataSource).run(
        `UPDATE "${CASHLINK_INTENTS_TABLE}" SET "updated_at" = "updated_at" WHERE "idempotency_key" = ?`,
        [key],
        { durable: true },
      );
      return;
    }
    const dialect = storeDialectOf(dataSource);
    await dataSource.transaction(async (manager) => {
      for (const statement of statements) {
        const affected = await dialect.executeIn(manager, statement.sql, statement.params);
        if (statement.expectOne && affected !== 1) {
          throw new CashlinkIntentNotAwaitingResolutionError(key, 'expired');
        }
      }
    });
  }

  /** The guarded state change: only while the intent is still in the state it was read in, unleased. */
  private transition(
    intent: CashlinkIntent,
    state: CashlinkIntentState,
    now: number,
    what: { status: number; body: string } | { reason: string },
  ): Statement {
    const previous = parseStoredJson<CashlinkIntentErrorRecord>(intent.lastError);
    const clearError =
      'reason' in what
        ? JSON.stringify({
            ...(previous ?? { className: 'CashlinkIntentResolved', message: what.reason }),
            reason: what.reason,
          })
        : intent.lastError;
    // Protected columns are sealed for this row (the binding names the column and the key).
    const codec = this.store.codec;
    const lastError = codec.seal(clearError, intentBinding('last_error', intent.key));
    const responseBody =
      'status' in what ? codec.seal(what.body, intentBinding('response_body', intent.key)) : null;
    return {
      sql: `UPDATE "${CASHLINK_INTENTS_TABLE}" SET "state" = ?, "response_status" = ?, "response_body" = ?, "last_error" = ?,
          "lease_owner" = NULL, "lease_until" = NULL, "settled_at" = ?, "updated_at" = ?
        WHERE "idempotency_key" = ? AND "state" = ? AND "lease_owner" IS NULL`,
      params: [
        state,
        'status' in what ? what.status : null,
        responseBody,
        lastError,
        now,
        now,
        intent.key,
        intent.state,
      ],
      expectOne: true,
    };
  }
}
