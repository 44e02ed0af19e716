import { randomUUID } from 'node:crypto';
import { type DataSource, type EntityManager, In } from 'typeorm';
import { SQLITE_IDLE_WAIT_MS } from '../persistence/sqlite-connection';
import {
  WRITE_ALONE,
  storeDialectOf,
  type GroupWriter,
  type StoreDialect,
  type StoreWriteOptions,
} from '../persistence/store-dialect';
import { CashlinkError } from '../errors/cashlink.error';
import { ProtectionCodec } from '../protection/protection-codec';
import { intentBinding } from '../protection/protected-columns';
import {
  CASHLINK_INTENT_STATES,
  CASHLINK_INTENTS_TABLE,
  CashlinkIntent,
  type CashlinkIntentErrorRecord,
  type CashlinkIntentState,
} from './cashlink-intent.entity';

/** What the write path records before a call. */
export interface NewCashlinkIntent {
  key: string;
  operation: string;
  method: string;
  path: string;
  requestBody: string;
  requestHash: string;
  unrecoverableReason?: string | null;
  /**
   * When the recovery worker may take it. The write path sets now + one lease time: the caller is
   * about to send it, and the worker should only step in if the caller's process died.
   * @default the recording time
   */
  nextAttemptAt?: number;
  /**
   * Record the intent already claimed by this instance (one attempt counted, lease until now + leaseMs,
   * under a new lease token): the write path sends it right after recording, and this saves a claim
   * round trip and a commit. Only a new row is claimed this way; an existing key is left as it is.
   */
  leaseOwner?: string;
}

/** The outcome written when an intent settles. */
export type CashlinkIntentSettlement =
  | { state: 'succeeded'; responseStatus: number; responseBody: string }
  | { state: 'failed'; error: CashlinkIntentErrorRecord }
  | { state: 'expired' | 'needs_review'; error: CashlinkIntentErrorRecord };

/** The columns `record` inserts, in the order of its values. */
const RECORD_COLUMNS = [
  'idempotency_key',
  'operation',
  'method',
  'path',
  'request_body',
  'request_hash',
  'state',
  'attempts',
  'next_attempt_at',
  'unrecoverable_reason',
  'lease_owner',
  'lease_until',
  'created_at',
  'updated_at',
] as const;
const RECORD_SQL = `INSERT INTO "${CASHLINK_INTENTS_TABLE}" (${RECORD_COLUMNS.map((c) => `"${c}"`).join(', ')})
       VALUES (${RECORD_COLUMNS.map(() => '?').join(', ')}) ON CONFLICT DO NOTHING`;
/** Several records in one statement (a Postgres group), one array per column, inserted in array order. */
const RECORD_MANY =
  `INSERT INTO "${CASHLINK_INTENTS_TABLE}" (${RECORD_COLUMNS.map((c) => `"${c}"`).join(', ')}) ` +
  `SELECT ${RECORD_COLUMNS.map((c) => `v."${c}"`).join(', ')} FROM unnest(` +
  '$1::varchar[], $2::varchar[], $3::varchar[], $4::varchar[], $5::text[], $6::varchar[], $7::varchar[], ' +
  '$8::int[], $9::bigint[], $10::text[], $11::varchar[], $12::bigint[], $13::bigint[], $14::bigint[]) ' +
  `WITH ORDINALITY AS v(${RECORD_COLUMNS.map((c) => `"${c}"`).join(', ')}, "ord") ` +
  'ORDER BY v."ord" ON CONFLICT DO NOTHING RETURNING "idempotency_key"';

/** `settle`'s values, in the order of `settleSql`'s placeholders. */
type SettleValues = [
  state: string,
  responseStatus: number | null,
  responseBody: string | null,
  lastError: string | null,
  settledAt: number,
  updatedAt: number,
  key: string,
  lease: string,
];
/**
 * A settlement, only by the lease holder. `unflushed` (`StoreDialect.unflushedCommit`): its commit does
 * not wait for the disk; losing it to a power cut leaves the intent pending, sent again with its key.
 */
const settleSql = (unflushed: string): string =>
  `UPDATE "${CASHLINK_INTENTS_TABLE}" SET "state" = ?, "response_status" = ?, "response_body" = ?,
         "last_error" = COALESCE(?, "last_error"), "lease_owner" = NULL, "lease_until" = NULL, "settled_at" = ?, "updated_at" = ?
       WHERE "idempotency_key" = ? AND "state" = 'pending' AND "lease_owner" = ?${unflushed}`;
/** Several settlements in one statement (a Postgres group), each still only by its lease holder. */
const settleManySql = (unflushed: string): string =>
  `UPDATE "${CASHLINK_INTENTS_TABLE}" t SET "state" = v."state", "response_status" = v."response_status", ` +
  `"response_body" = v."response_body", "last_error" = COALESCE(v."last_error", t."last_error"), "lease_owner" = NULL, ` +
  `"lease_until" = NULL, "settled_at" = v."settled_at", "updated_at" = v."updated_at" ` +
  'FROM unnest($1::varchar[], $2::int[], $3::text[], $4::text[], $5::bigint[], $6::bigint[], $7::varchar[], $8::varchar[]) ' +
  'AS v("state", "response_status", "response_body", "last_error", "settled_at", "updated_at", "key", "lease") ' +
  `WHERE t."idempotency_key" = v."key" AND t."state" = 'pending' AND t."lease_owner" = v."lease"${unflushed} ` +
  'RETURNING t."idempotency_key"';

/**
 * `claimDue`: the due pending intents, oldest due first, under one lease; on Postgres the candidates are
 * picked with `FOR UPDATE SKIP LOCKED` (`StoreDialect.skipLocked`).
 */
const claimDueSql = (dialect: StoreDialect): string =>
  `UPDATE "${CASHLINK_INTENTS_TABLE}" SET "lease_owner" = ?, "lease_until" = ?, "attempts" = "attempts" + 1, "updated_at" = ?
         WHERE "idempotency_key" IN (
           SELECT "idempotency_key" FROM "${CASHLINK_INTENTS_TABLE}"
           WHERE "state" = 'pending' AND "next_attempt_at" <= ? AND ("lease_until" IS NULL OR "lease_until" <= ?)
           ORDER BY "next_attempt_at" LIMIT ?${dialect.skipLocked})${dialect.recheck(CLAIM_RECHECK).sql}
         RETURNING "idempotency_key"`;
/** The claim's re-check of its candidates (`StoreDialect.recheck`): still pending, lease free at `now`. */
const CLAIM_RECHECK = `"state" = 'pending' AND ("lease_until" IS NULL OR "lease_until" <= ?)`;

/** One array per column of `rows` (for `unnest`). */
function columnsOf(rows: ReadonlyArray<readonly unknown[]>, width: number): unknown[][] {
  return Array.from({ length: width }, (_, c) => rows.map((row) => row[c]));
}

/**
 * A lease token for one claim by instance `owner`: readable (`<owner>:<uuid>`) and new for every claim.
 * Renew, settle, postpone and release match the token, not the instance: two claims in one process
 * (the worker's batch whose lease ran out, and a caller's repeat of the key) are told apart, so the
 * older one can neither extend nor settle the newer one's lease.
 */
export function newLeaseToken(owner: string): string {
  return `${owner}:${randomUUID()}`;
}

/** Prefix of the names the store's statements are prepared under on Postgres. */
const STATEMENT = 'cashlink_intents';

/** True when `manager` runs inside an open transaction of the app. */
function inTransaction(manager: EntityManager | undefined): manager is EntityManager {
  return manager?.queryRunner?.isTransactionActive === true;
}

/**
 * The state machine of intents in SQL. Every transition is one conditional statement, so that it is
 * atomic on SQLite and on PostgreSQL without holding a transaction across a network call:
 *
 *   record   → pending (insert, ignored when the key exists)
 *   claim    → pending + lease (only when no live lease: `lease_until` absent or past)
 *   settle   → succeeded | failed | expired (only by the lease holder)
 *   postpone → pending, lease dropped, `next_attempt_at` pushed back (only by the lease holder)
 *   purge    → settled row kept as a tombstone (bodies nulled, `purged_at` set)
 *
 * Every claim writes a new lease token (`newLeaseToken`) into `lease_owner`; the lease holder is the
 * one that knows the token (`intent.leaseOwner` of the claimed row). A process that dies holding a
 * lease loses it when `lease_until` passes.
 */
export class CashlinkIntentStore {
  private readonly dialect: StoreDialect;
  /** Records and settlements outside the app's transactions, by group commit. */
  private readonly recordGroup: GroupWriter<unknown[], number>;
  private readonly settleGroup: GroupWriter<SettleValues, number>;
  /**
   * Writes before the call (a record, a claim): on SQLite they wait for an idle connection (never
   * inside the app's open transaction, whose rollback would undo them) and resolve once on disk.
   */
  private readonly beforeTheCall: StoreWriteOptions;
  /**
   * Writes made after the call (settlements, postponements, lease renewals and releases, purges): on
   * SQLite they resolve at their commit, without waiting for the disk (`SqliteGroupWriteOptions.durable`).
   * Losing one to a power loss only leaves the intent pending, and it is sent again with its key.
   */
  private readonly afterTheCall: StoreWriteOptions;
  private readonly claimDueText: string;

  constructor(
    /** The DataSource holding the intents table. */
    readonly dataSource: DataSource,
    private readonly leaseMs: number,
    /** Seals the protected columns (request, answer, error) on write and opens them on read. */
    readonly codec: ProtectionCodec = ProtectionCodec.PLAIN,
  ) {
    this.dialect = storeDialectOf(dataSource);
    this.beforeTheCall = { ...this.sqliteWait(), statement: STATEMENT };
    this.afterTheCall = { ...this.beforeTheCall, durable: false };
    this.claimDueText = claimDueSql(this.dialect);
    this.recordGroup = this.dialect.groupWriter({
      name: 'Intent records',
      writeOne: (values) => this.execute(RECORD_SQL, values),
      writeGroup: (rows) =>
        this.writeGroup(rows, 0, {
          name: 'cashlink_intents_record_many_v1',
          text: RECORD_MANY,
          width: RECORD_COLUMNS.length,
          // An insert waits for an uncommitted insert of the same key (an app transaction that recorded it
          // with `{ manager }`): a group gives up after this and its records go one by one, so that one
          // open transaction never holds up unrelated writes (nor a write that transaction itself awaits).
          lockTimeoutMs: 100,
        }),
    });
    const settleOne = settleSql(this.dialect.unflushedCommit);
    const settleMany = settleManySql(this.dialect.unflushedCommit);
    this.settleGroup = this.dialect.groupWriter<SettleValues, number>({
      name: 'Intent settlements',
      writeOne: (values) => this.execute(settleOne, values, undefined, this.afterTheCall),
      writeGroup: (rows) =>
        this.writeGroup(rows, 6, {
          name: 'cashlink_intents_settle_many_v2',
          text: settleMany,
          width: 8,
        }),
    });
  }

  /**
   * Postgres: one statement for a group of records or settlements (`keyAt`: where each row's key is),
   * answering each row's affected count. Records are inserted in key order (concurrent groups of
   * several instances take their key locks in the same order). A key already in the group is left
   * out (`WRITE_ALONE`) and written on its own after the group's commit, so that each count is its own.
   * With `lockTimeoutMs` the statement runs in a short transaction with that `lock_timeout`.
   */
  private async writeGroup(
    rows: ReadonlyArray<readonly unknown[]>,
    keyAt: number,
    many: { name: string; text: string; width: number; lockTimeoutMs?: number },
  ): Promise<Array<number | typeof WRITE_ALONE>> {
    const first = new Map<string, number>();
    rows.forEach((row, i) => {
      const key = String(row[keyAt]);
      if (!first.has(key)) first.set(key, i);
    });
    const unique = [...first.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, i]) => rows[i]!);
    const statement = { name: many.name, text: many.text, values: columnsOf(unique, many.width) };
    const written =
      many.lockTimeoutMs === undefined
        ? await this.dialect.statement(statement)
        : await this.dialect.transaction(
            `SELECT set_config('lock_timeout', '${Math.trunc(many.lockTimeoutMs)}ms', true)`,
            statement,
          );
    const done = new Set(written.map((row) => String(row.idempotency_key)));
    return rows.map((row, i) => {
      const key = String(row[keyAt]);
      if (first.get(key) !== i) return WRITE_ALONE;
      return done.has(key) ? 1 : 0;
    });
  }

  /** Inserts the intent unless its key exists; returns the stored row either way. */
  async record(
    input: NewCashlinkIntent,
    now: number,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<{ intent: CashlinkIntent; created: boolean; claimed: boolean }> {
    const lease = input.leaseOwner ? newLeaseToken(input.leaseOwner) : null;
    const values = [
      input.key,
      input.operation,
      input.method,
      input.path,
      this.codec.seal(input.requestBody, intentBinding('request_body', input.key)),
      input.requestHash,
      'pending',
      lease ? 1 : 0,
      input.nextAttemptAt ?? now,
      input.unrecoverableReason ?? null,
      lease,
      lease ? now + this.leaseMs : null,
      now,
      now,
    ];
    // ON CONFLICT DO NOTHING (SQLite 3.24+ and Postgres): a repeated key must not abort the caller's
    // transaction on Postgres; the existing row is then compared by the caller. Outside the caller's
    // transaction on Postgres, concurrent records share one statement and one commit.
    const affected = inTransaction(manager)
      ? await this.execute(RECORD_SQL, values, manager)
      : await this.recordGroup.submit(values);
    if (affected === 1) {
      // Inserted: the row is exactly these values (no read back: one round trip less per write).
      const intent = Object.assign(new CashlinkIntent(), {
        key: input.key,
        operation: input.operation,
        method: input.method,
        path: input.path,
        requestBody: input.requestBody,
        requestHash: input.requestHash,
        state: 'pending',
        attempts: lease ? 1 : 0,
        nextAttemptAt: input.nextAttemptAt ?? now,
        leaseOwner: lease,
        leaseUntil: lease ? now + this.leaseMs : null,
        responseStatus: null,
        responseBody: null,
        lastError: null,
        unrecoverableReason: input.unrecoverableReason ?? null,
        conflicts: 0,
        createdAt: now,
        updatedAt: now,
        settledAt: null,
        purgedAt: null,
        erasedAt: null,
      } satisfies Omit<CashlinkIntent, never>);
      return { intent, created: true, claimed: lease !== null };
    }
    const intent = this.opened(await manager.findOneBy(CashlinkIntent, { key: input.key }));
    if (!intent) {
      throw new Error(`Intent ${input.key} was not found right after it was recorded`);
    }
    return { intent, created: false, claimed: false };
  }

  async find(key: string, manager: EntityManager = this.dataSource.manager): Promise<CashlinkIntent | null> {
    return this.opened(await manager.findOneBy(CashlinkIntent, { key }));
  }

  /** The row with its protected columns in clear (nothing above the store sees ciphertext). */
  opened(intent: CashlinkIntent): CashlinkIntent;
  opened(intent: CashlinkIntent | null): CashlinkIntent | null;
  opened(intent: CashlinkIntent | null): CashlinkIntent | null {
    if (!intent) return intent;
    intent.requestBody = this.codec.open(intent.requestBody, intentBinding('request_body', intent.key));
    intent.responseBody = this.codec.open(intent.responseBody, intentBinding('response_body', intent.key));
    intent.lastError = this.codec.open(intent.lastError, intentBinding('last_error', intent.key));
    return intent;
  }

  async list(query: {
    state?: CashlinkIntentState;
    limit?: number;
    offset?: number;
  }): Promise<CashlinkIntent[]> {
    const rows = await this.dataSource.manager.find(CashlinkIntent, {
      where: query.state ? { state: query.state } : {},
      order: { createdAt: 'ASC', key: 'ASC' },
      take: query.limit ?? 100,
      skip: query.offset ?? 0,
    });
    return rows.map((row) => this.opened(row));
  }

  async countByState(): Promise<Record<CashlinkIntentState, number>> {
    const rows: { state: CashlinkIntentState; n: string | number }[] = await this.dataSource.query(
      `SELECT "state", COUNT(*) AS "n" FROM "${CASHLINK_INTENTS_TABLE}" GROUP BY "state"`,
    );
    const counts = Object.fromEntries(CASHLINK_INTENT_STATES.map((state) => [state, 0])) as Record<
      CashlinkIntentState,
      number
    >;
    for (const row of rows) counts[row.state] = Number(row.n);
    return counts;
  }

  /**
   * Claims one pending intent for instance `owner` when nobody holds a live lease on it (regardless of
   * `next_attempt_at`: an explicit repeat by the caller may run before the backoff ends).
   * Counts an attempt. Returns the claimed row (its `leaseOwner` is the new lease token), or null.
   */
  async claim(key: string, owner: string, now: number): Promise<CashlinkIntent | null> {
    const lease = newLeaseToken(owner);
    const affected = await this.execute(
      `UPDATE "${CASHLINK_INTENTS_TABLE}" SET "lease_owner" = ?, "lease_until" = ?, "attempts" = "attempts" + 1, "updated_at" = ?
       WHERE "idempotency_key" = ? AND "state" = 'pending' AND ("lease_until" IS NULL OR "lease_until" <= ?)`,
      [lease, now + this.leaseMs, now, key, now],
    );
    if (affected !== 1) return null;
    const intent = await this.find(key);
    return intent && intent.leaseOwner === lease ? intent : null;
  }

  /**
   * Claims up to `limit` due pending intents (oldest due first) for instance `owner`, under one new
   * lease token (each returned row's `leaseOwner`). On Postgres one statement
   * with `FOR UPDATE SKIP LOCKED`, so that concurrent instances take disjoint batches without waiting;
   * on SQLite (one writer at a time, so the statement is atomic) one UPDATE of the due candidates.
   */
  async claimDue(owner: string, limit: number, now: number): Promise<CashlinkIntent[]> {
    const lease = newLeaseToken(owner);
    const leaseUntil = now + this.leaseMs;
    // One statement for the whole batch (on SQLite one commit in the group: one writer at a time);
    // on Postgres planned as an ordered index scan whatever the table's statistics (`runPostgresClaim`).
    const claimed = await this.dialect.claim(
      this.claimDueText,
      [lease, leaseUntil, now, now, now, limit, ...this.dialect.recheck(CLAIM_RECHECK, now).params],
      this.beforeTheCall,
    );
    const keys = claimed.map((r) => String(r.idempotency_key));
    if (keys.length === 0) return [];
    const rows = await this.dataSource.manager.findBy(CashlinkIntent, { key: In(keys) });
    return rows
      .filter((row) => row.leaseOwner === lease && row.state === 'pending')
      .map((row) => this.opened(row))
      .sort((a, b) => a.nextAttemptAt - b.nextAttemptAt);
  }

  /**
   * Extends a live lease (by its token) to a full `leaseMs` from now, right before sending: a batch
   * claimed earlier may have waited. False when the lease ran out (another claim, maybe in this same
   * process, may hold the intent now).
   */
  async renew(key: string, lease: string, now: number): Promise<boolean> {
    const affected = await this.execute(
      `UPDATE "${CASHLINK_INTENTS_TABLE}" SET "lease_until" = ?, "updated_at" = ?
       WHERE "idempotency_key" = ? AND "state" = 'pending' AND "lease_owner" = ? AND "lease_until" > ?`,
      [now + this.leaseMs, now, key, lease, now],
      undefined,
      this.afterTheCall,
    );
    return affected === 1;
  }

  /** Settles a claimed intent. False when `lease` no longer holds it (it ran out and was taken). */
  async settle(
    key: string,
    lease: string,
    settlement: CashlinkIntentSettlement,
    now: number,
  ): Promise<boolean> {
    const responseStatus = settlement.state === 'succeeded' ? settlement.responseStatus : null;
    const responseBody = this.codec.seal(
      settlement.state === 'succeeded' ? settlement.responseBody : null,
      intentBinding('response_body', key),
    );
    const lastError = this.codec.seal(
      settlement.state === 'succeeded' ? null : JSON.stringify(settlement.error),
      intentBinding('last_error', key),
    );
    const values: SettleValues = [
      settlement.state,
      responseStatus,
      responseBody,
      lastError,
      now,
      now,
      key,
      lease,
    ];
    // Postgres: concurrent settlements share one statement and one commit.
    const affected = await this.settleGroup.submit(values);
    return affected === 1;
  }

  /**
   * Leaves a claimed intent pending for a later attempt and drops the lease. `conflict`: the attempt was
   * answered 409 (counted in `conflicts`); any other outcome restarts that count.
   */
  async postpone(
    key: string,
    lease: string,
    nextAttemptAt: number,
    error: CashlinkIntentErrorRecord,
    now: number,
    conflict = false,
  ): Promise<boolean> {
    const affected = await this.execute(
      `UPDATE "${CASHLINK_INTENTS_TABLE}" SET "next_attempt_at" = ?, "last_error" = ?, "lease_owner" = NULL, "lease_until" = NULL, "updated_at" = ?,
         "conflicts" = CASE WHEN ? = 1 THEN "conflicts" + 1 ELSE 0 END
       WHERE "idempotency_key" = ? AND "state" = 'pending' AND "lease_owner" = ?`,
      [
        nextAttemptAt,
        this.codec.seal(JSON.stringify(error), intentBinding('last_error', key)),
        now,
        conflict ? 1 : 0,
        key,
        lease,
      ],
      undefined,
      this.afterTheCall,
    );
    return affected === 1;
  }

  /** Drops a lease without counting anything (e.g. the process is shutting down before sending). */
  async release(key: string, lease: string, now: number): Promise<boolean> {
    const affected = await this.execute(
      `UPDATE "${CASHLINK_INTENTS_TABLE}" SET "lease_owner" = NULL, "lease_until" = NULL, "updated_at" = ?
       WHERE "idempotency_key" = ? AND "state" = 'pending' AND "lease_owner" = ?`,
      [now, key, lease],
      undefined,
      this.afterTheCall,
    );
    return affected === 1;
  }

  /**
   * Purges settled intents of the given states settled before `before`: each row stays as a tombstone
   * (key, request hash, state, timestamps, `purged_at`) without its request, answer and error. Deleting
   * the row would make the key new again, and a repeat of it (e.g. a retried job after the retention)
   * would be sent a second time. At most `limit` rows per statement (keeps each update short on a big
   * table). Returns how many were purged.
   */
  async purge(
    states: readonly CashlinkIntentState[],
    before: number,
    now: number,
    limit = 1000,
  ): Promise<number> {
    let total = 0;
    for (const state of states) {
      for (;;) {
        const affected = await this.execute(
          `UPDATE "${CASHLINK_INTENTS_TABLE}" SET "request_body" = NULL, "response_body" = NULL, "last_error" = NULL,
             "purged_at" = ?, "updated_at" = ?
           WHERE "idempotency_key" IN (
             SELECT "idempotency_key" FROM "${CASHLINK_INTENTS_TABLE}"
             WHERE "state" = ? AND "purged_at" IS NULL AND "settled_at" < ? LIMIT ?)
           AND "purged_at" IS NULL`,
          [now, now, state, before, limit],
          undefined,
          this.afterTheCall,
        );
        total += affected;
        if (affected < limit) break;
      }
    }
    return total;
  }

  /**
   * Runs a statement written with `?` placeholders and returns the number of affected rows, on the
   * given manager's query runner (the caller's transaction) or on its own.
   */
  private execute(
    sql: string,
    params: unknown[],
    manager?: EntityManager,
    options: StoreWriteOptions = this.beforeTheCall,
  ): Promise<number> {
    // A manager whose runner holds no open transaction adds nothing: the statement would commit on its
    // own anyway, so it takes the store's own path (on SQLite: synced before it resolves).
    if (inTransaction(manager)) return this.dialect.executeIn(manager, sql, params);
    // On its own. SQLite's one shared connection: a write issued inside the app's open transaction
    // would vanish with its rollback (an intent "recorded before the call" gone, or a settlement
    // undone), so it waits for an idle connection and runs there on its own, in the DataSource's group
    // commit: the statements of one event-loop turn (e.g. the intents of 16 concurrent writes, or their
    // settlements) share one disk flush (see SqliteGroupCommit). Postgres: a named statement on a pooled
    // connection (fixed text, parsed and planned once per connection: a third less database time).
    return this.dialect.execute(sql, params, options);
  }

  /** How a write of the store waits for the app's transaction on SQLite's shared connection. */
  private sqliteWait() {
    return {
      maxWaitMs: CashlinkIntentStore.SQLITE_IDLE_WAIT_MS,
      timeoutError: () =>
        new CashlinkError(
          `The SQLite connection stayed inside a transaction for ${CashlinkIntentStore.SQLITE_IDLE_WAIT_MS} ms, so the intent could not be ` +
            'written on its own; nothing was sent. Inside your own transaction, pass { manager } to the write ' +
            '(it is then sent after your commit), or make the call after the commit.',
        ),
    };
  }

  /** How long a write of the store waits for the app's transaction on SQLite's shared connection. */
  static SQLITE_IDLE_WAIT_MS = SQLITE_IDLE_WAIT_MS;
}
