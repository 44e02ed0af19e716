import { IsNull, type DataSource, type Repository } from 'typeorm';
import { ProtectionCodec } from '../protection/protection-codec';
import { rawBodyBinding } from '../protection/protected-columns';
import {
  storeDialectOf,
  type GroupWriter,
  type StoreDialect,
  type StoreRows,
  type StoreWriteOptions,
} from '../persistence/store-dialect';
import { timeOrderedUuid } from '../common/time-ordered-id';
import { CashlinkError } from '../errors/cashlink.error';
import { WebhookInboxEntity, type WebhookInboxState } from './webhook-inbox.entity';
import {
  statusChangeDedupeKey,
  quarantineDedupeKey,
  type WebhookStatusChange,
} from './webhook-status-change';

const TABLE = '"cashlink_webhook_inbox"';

/** The unique index a change is stored once by (`UQ_cashlink_webhook_inbox_change`). */
const ON_CHANGE_CONFLICT = 'ON CONFLICT ("investment_id", "changed_at", "status") DO NOTHING';
/** The unique index a quarantined body is stored once by (partial: rows without an investment). */
const ON_QUARANTINE_CONFLICT = 'ON CONFLICT ("dedupe_key") WHERE "investment_id" IS NULL DO NOTHING';

/** Every column of the inbox, as `RETURNING` lists them for `toInboxEntity`. */
const INBOX_COLUMNS =
  '"id", "dedupe_key", "investment_id", "status", "changed_at", "previous_status", "stale", "received_at", ' +
  '"state", "attempts", "next_attempt_at", "lease_owner", "lease_until", "last_error", "processed_at", "raw_body"';

/**
 * A row's watermark from every change of its investment stored by now: `stale` when a later
 * `changed_at` exists, `previous_status` the status of the latest earlier change.
 */
const WATERMARK_ASSIGNMENTS =
  `"stale" = EXISTS (SELECT 1 FROM ${TABLE} w WHERE w."investment_id" = ${TABLE}."investment_id" AND w."changed_at" > ${TABLE}."changed_at"), ` +
  `"previous_status" = (SELECT w."status" FROM ${TABLE} w WHERE w."investment_id" = ${TABLE}."investment_id" AND w."changed_at" < ${TABLE}."changed_at" ORDER BY w."changed_at" DESC LIMIT 1)`;

/**
 * The columns a received change is inserted with, and its provisional watermark: `stale` when a later
 * change of the investment is stored, `previous_status` the latest stored status (the dispatch decides
 * both again when it claims the row, from every change stored by then).
 */
const INSERT_CHANGE_COLUMNS = `INSERT INTO ${TABLE} ("id", "dedupe_key", "investment_id", "status", "changed_at", "received_at", "state", "attempts", "next_attempt_at", "stale", "previous_status") `;
const provisionalWatermark = (investmentId: () => string, changedAt: () => string): string => {
  const exists = `EXISTS (SELECT 1 FROM ${TABLE} w WHERE w."investment_id" = ${investmentId()} AND w."changed_at" > ${changedAt()}), `;
  return `${exists}(SELECT w."status" FROM ${TABLE} w WHERE w."investment_id" = ${investmentId()} ORDER BY w."changed_at" DESC LIMIT 1)`;
};

/**
 * One change in one statement, built once per dialect. Its parameters are typed where Postgres needs
 * it (`StoreDialect.cast`: Postgres deduces one type per parameter, and the investment id is both a
 * value and compared). SQLite needs a WHERE on INSERT ... SELECT before ON CONFLICT (a parsing
 * ambiguity); Postgres accepts it too. Values: id, key, investment id, status, changed at, now, now,
 * investment id, changed at, investment id.
 */
function insertChangeSql(dialect: StoreDialect): string {
  const text = dialect.cast('varchar');
  const epoch = dialect.cast('bigint');
  return (
    INSERT_CHANGE_COLUMNS +
    `SELECT ${text}, ${text}, ${text}, ${text}, ${text}, ${epoch}, 'pending', 0, ${epoch}, ` +
    `${provisionalWatermark(
      () => text,
      () => text,
    )} ` +
    `WHERE 1 = 1 ${ON_CHANGE_CONFLICT} RETURNING "id"`
  );
}

/**
 * Any number of changes (one wave of a Postgres group) in one statement of fixed text, the values as
 * one array per column, inserted in array order (`WITH ORDINALITY`). Fixed text, so it is prepared once
 * per connection as a named statement (`INSERT_CHANGES_STATEMENT`) and then only executed: planning the
 * watermark subqueries was about a third of the database's time per change.
 */
const INSERT_CHANGES =
  INSERT_CHANGE_COLUMNS +
  `SELECT v."id", v."dedupe_key", v."investment_id", v."status", v."changed_at", v."received_at", 'pending', 0, v."received_at", ` +
  `${provisionalWatermark(
    () => 'v."investment_id"',
    () => 'v."changed_at"',
  )} ` +
  `FROM unnest($1::varchar[], $2::varchar[], $3::varchar[], $4::varchar[], $5::varchar[], $6::bigint[]) ` +
  `WITH ORDINALITY AS v("id", "dedupe_key", "investment_id", "status", "changed_at", "received_at", "ord") ` +
  `ORDER BY v."ord" ${ON_CHANGE_CONFLICT} RETURNING "id"`;
/** The name `INSERT_CHANGES` is prepared under (versioned: the text of a name never changes). */
const INSERT_CHANGES_STATEMENT = 'cashlink_inbox_insert_changes_v1';

/** Prefix of the names the store's statements of fixed text are prepared under on Postgres. */
const STATEMENT = 'cashlink_inbox';

/**
 * The dispatcher's claim (`claimDue`): due rows, oldest due first, leased and counted, with their
 * watermark from every change stored by now. Candidates picked with `skipLocked` (Postgres).
 */
const claimDueSql = (dialect: StoreDialect): string =>
  `UPDATE ${TABLE} SET "lease_owner" = ?, "lease_until" = ?, "attempts" = "attempts" + 1, ${WATERMARK_ASSIGNMENTS} ` +
  `WHERE "id" IN (SELECT "id" FROM ${TABLE} WHERE "state" = 'pending' AND "next_attempt_at" <= ? AND ("lease_until" IS NULL OR "lease_until" <= ?) ` +
  `ORDER BY "next_attempt_at" LIMIT ?${dialect.skipLocked})${dialect.recheck(CLAIM_RECHECK).sql} RETURNING ${INBOX_COLUMNS}`;
/** The claim's re-check of its candidates (`StoreDialect.recheck`): still pending, lease free at `now`. */
const CLAIM_RECHECK = `"state" = 'pending' AND ("lease_until" IS NULL OR "lease_until" <= ?)`;

/** Deletes processed rows (`purgeProcessed`), keeping each investment's latest change. */
const PURGE_PROCESSED =
  `DELETE FROM ${TABLE} WHERE "id" IN (SELECT p."id" FROM ${TABLE} p WHERE p."state" = 'processed' AND p."processed_at" < ? ` +
  `AND EXISTS (SELECT 1 FROM ${TABLE} w WHERE w."investment_id" = p."investment_id" AND w."changed_at" > p."changed_at") ` +
  `LIMIT ?) RETURNING "id"`;

/** What storing a received change did. */
export interface WebhookInsertResult {
  /** False when an equal change was already stored (a duplicate delivery). */
  inserted: boolean;
  id: string;
}

/** A change for the next group commit (Postgres). */
interface PendingChange {
  change: WebhookStatusChange;
  now: number;
}

/**
 * The durable inbox: every statement here is a single SQL statement, atomic on its own, so the
 * store never relies on a TypeORM multi-statement transaction (TypeORM shares one connection for
 * all better-sqlite3 work in a process, where concurrent transactions would interleave).
 *
 * Received changes are written by group commit: while one commit is under way, the changes that
 * arrive meanwhile queue up and are written together in the next one (one commit, one flush), so
 * that ingest under load is not bound by one disk flush per delivery (one commit per delivery
 * measured 0.1-0.5 of a no-storage route). On Postgres (`PostgresGroupWriter`)
 * a group is one statement per wave, in the order of the dedupe keys, so the watermark sees the
 * earlier changes of the group exactly as if they had been committed one by one, and concurrent
 * groups of several instances take row locks in the same order (no deadlock); when a group fails,
 * its changes are retried one by one, so one bad change fails only itself. On SQLite
 * (better-sqlite3) every write of the store goes through the DataSource's `SqliteGroupCommit`, which
 * runs the statements of one event-loop turn in one transaction (synchronously, so nothing else can
 * interleave on the shared connection).
 */
export class WebhookInboxStore {
  readonly repository: Repository<WebhookInboxEntity>;
  private readonly dialect: StoreDialect;
  /** Received changes by group commit. */
  private readonly changeGroup: GroupWriter<PendingChange, WebhookInsertResult>;
  /** A stored webhook (answered 2xx afterwards): on SQLite it resolves once on disk. */
  private readonly receiveWrite: StoreWriteOptions;
  /**
   * The dispatcher's writes (claims, lease renewals, marks, purges): on SQLite they resolve at their
   * commit, without waiting for the disk (`SqliteGroupWriteOptions.durable`). Losing one to a power loss
   * only dispatches a change again (dispatch is at least once).
   */
  private readonly dispatchWrite: StoreWriteOptions;
  /** The same, for statements of fixed text (prepared once per connection on Postgres). */
  private readonly receiveNamed: StoreWriteOptions;
  private readonly dispatchNamed: StoreWriteOptions;
  private readonly insertChangeText: string;
  private readonly claimDueText: string;

  constructor(
    private readonly dataSource: DataSource,
    /** Seals a quarantined raw body on write and opens it on read (it can carry personal data). */
    readonly codec: ProtectionCodec = ProtectionCodec.PLAIN,
  ) {
    this.repository = dataSource.getRepository(WebhookInboxEntity);
    this.dialect = storeDialectOf(dataSource);
    this.receiveWrite = {
      timeoutError: (waited) =>
        new CashlinkError(
          `The SQLite connection stayed inside a transaction for ${waited} ms, so the webhook inbox could not write on its own; do not await webhook work inside your own transaction.`,
        ),
    };
    this.dispatchWrite = { ...this.receiveWrite, durable: false };
    this.receiveNamed = { ...this.receiveWrite, statement: STATEMENT };
    this.dispatchNamed = { ...this.dispatchWrite, statement: STATEMENT };
    this.insertChangeText = insertChangeSql(this.dialect);
    this.claimDueText = claimDueSql(this.dialect);
    this.changeGroup = this.dialect.groupWriter({
      name: 'Webhook inbox',
      writeGroup: (changes) => this.insertGroup(changes),
      writeOne: ({ change, now }) => this.insertOneRow(change, now),
    });
  }

  /**
   * Stores a valid change once: `ON CONFLICT (investment_id, changed_at, status) DO NOTHING`, so ten concurrent copies
   * leave one row. `stale` and `previous_status` are computed from the watermark (the latest
   * stored change of the same investment) in the same statement; provisional: the dispatch decides
   * them again (`renewLeases`), when concurrent and later arrivals are stored too.
   */
  async insertChange(change: WebhookStatusChange, now = Date.now()): Promise<WebhookInsertResult> {
    // SQLite: one statement per change; with better-sqlite3 the DataSource's group commit already
    // runs the statements of one event-loop turn in one transaction (see `write`). Postgres: the
    // changes that arrive together share one statement (`PostgresGroupWriter`).
    const { inserted, id } = await this.changeGroup.submit({ change, now });
    // A duplicate answers with the id of the row already stored.
    return inserted ? { inserted, id } : { inserted, id: (await this.storedChangeId(change)) ?? id };
  }

  /**
   * Postgres: the group with one statement per "wave" (usually one; several in one transaction): a
   * wave holds at most one change per investment, so that each change's watermark (`stale`,
   * `previous_status`, read by its subqueries from the statement's snapshot) sees the changes of the
   * same investment in earlier waves, exactly as statement by statement. Rows keep the dedupe-key
   * order. Each wave is the named statement `INSERT_CHANGES_STATEMENT` (parsed and planned once per
   * connection), with one array per column: one round trip per wave instead of one per change.
   * Behind a pooler that does not keep prepared statements (PgBouncer in transaction mode before 1.21)
   * the statement fails, the group is retried change by change with unnamed statements, and nothing
   * is lost.
   */
  private async insertGroup(changes: PendingChange[]): Promise<WebhookInsertResult[]> {
    const items = changes
      .map((item) => ({ item, id: timeOrderedUuid(item.now), key: statusChangeDedupeKey(item.change) }))
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const waves: Array<typeof items> = [];
    const seen = new Map<string, number>();
    for (const entry of items) {
      const wave = seen.get(entry.item.change.investmentId) ?? 0;
      seen.set(entry.item.change.investmentId, wave + 1);
      (waves[wave] ??= []).push(entry);
    }
    const insertedIds = new Set<string>();
    await this.dialect.session(async (query) => {
      // One statement is atomic on its own: no BEGIN / COMMIT round trips around a single wave.
      const transaction = waves.length > 1;
      try {
        if (transaction) await query('BEGIN');
        for (const wave of waves) {
          const columns: [string[], string[], string[], string[], string[], number[]] = [
            [],
            [],
            [],
            [],
            [],
            [],
          ];
          for (const { item, id, key } of wave) {
            const { investmentId, status, changedAt } = item.change;
            columns[0].push(id);
            columns[1].push(key);
            columns[2].push(investmentId);
            columns[3].push(status);
            columns[4].push(changedAt);
            columns[5].push(item.now);
          }
          const { rows } = await query({
            name: INSERT_CHANGES_STATEMENT,
            text: INSERT_CHANGES,
            values: columns,
          });
          for (const row of rows) insertedIds.add(String(row.id));
        }
        if (transaction) await query('COMMIT');
      } catch (error) {
        if (transaction) await query('ROLLBACK').catch(() => undefined);
        throw error;
      }
    });
    const results = new Map(items.map(({ item, id }) => [item, { inserted: insertedIds.has(id), id }]));
    return changes.map((item) => results.get(item)!);
  }

  /**
   * Runs one statement of the store (with `RETURNING`, so its rows say what it did) on its own.
   * SQLite: TypeORM runs every query of the process on one better-sqlite3 connection, so a statement
   * issued while another feature (or the app, through `opts.manager`) holds a transaction open on it
   * would join that transaction and vanish with its rollback: a webhook answered 2xx but lost, a
   * processed mark undone (a repeat dispatch). So it waits until no transaction is open and then runs
   * on the raw handle in the DataSource's group commit (`SqliteGroupCommit`: the statements of one
   * event-loop turn, stored webhooks, dispatcher marks and intents alike, share one transaction and
   * one disk flush, each statement still atomic on its own; after 30 s it gives up: a delivery is
   * answered 503 and Cashlink retries). Postgres: any pool connection, outside the app's transactions.
   * `dispatchWrite` for the dispatcher's writes: they resolve at their commit.
   */
  private write(sql: string, params: unknown[], options = this.receiveWrite): Promise<StoreRows> {
    return this.dialect.write(sql, params, options);
  }

  /** Stores one change in its own statement (and commit); `inserted: false` for a duplicate. */
  private async insertOneRow(change: WebhookStatusChange, now: number): Promise<WebhookInsertResult> {
    const id = timeOrderedUuid(now);
    const key = statusChangeDedupeKey(change);
    const { investmentId, status, changedAt } = change;
    // Postgres: a lone change (light load) is a named statement too, so its watermark subqueries are not
    // planned at every delivery; a pooler that lost it gets it again unnamed (runPostgresStatement).
    const rows = await this.write(
      this.insertChangeText,
      [id, key, investmentId, status, changedAt, now, now, investmentId, changedAt, investmentId],
      this.receiveNamed,
    );
    return { inserted: rows.length > 0, id };
  }

  /** The id of the row that stores `change` (found through the change's unique index). */
  private async storedChangeId(change: WebhookStatusChange): Promise<string | null> {
    const { investmentId, changedAt, status } = change;
    const row = await this.repository.findOne({
      where: { investmentId, changedAt, status },
      select: { id: true },
    });
    return row?.id ?? null;
  }

  /**
   * Keeps an authenticated body that is not a valid status change (identical bodies once), in its
   * own statement and commit, like a valid change (it is answered 2xx too).
   */
  async insertQuarantined(rawBody: string, now = Date.now()): Promise<WebhookInsertResult> {
    const id = timeOrderedUuid(now);
    const key = quarantineDedupeKey(rawBody);
    const sql =
      `INSERT INTO ${TABLE} ("id", "dedupe_key", "state", "received_at", "next_attempt_at", "attempts", "stale", "raw_body") ` +
      `VALUES (?, ?, 'quarantined', ?, ?, 0, FALSE, ?) ${ON_QUARANTINE_CONFLICT} RETURNING "id"`;
    const params = [id, key, now, now, this.codec.seal(rawBody, rawBodyBinding(id))];
    if ((await this.write(sql, params)).length > 0) return { inserted: true, id };
    const existing = await this.repository.findOne({
      where: { dedupeKey: key, investmentId: IsNull() },
      select: { id: true },
    });
    return { inserted: false, id: existing?.id ?? id };
  }

  /**
   * Claims up to `limit` due rows for `owner` until `now + leaseMs`, counting one attempt each, and
   * computes their watermark (`stale`, `previousStatus`) from every change stored by now, as
   * `renewLeases` does: one statement that answers the claimed rows whole (no read back).
   * A conditional UPDATE: a row whose lease is held by another instance is never claimed; on
   * Postgres the candidates are picked with `FOR UPDATE SKIP LOCKED` so instances do not queue.
   */
  async claimDue(
    owner: string,
    limit: number,
    leaseMs: number,
    now = Date.now(),
  ): Promise<WebhookInboxEntity[]> {
    // Postgres: planned as an ordered index scan whatever the table's statistics (see runPostgresClaim).
    const raw = await this.dialect.claim(
      this.claimDueText,
      [owner, now + leaseMs, now, now, limit, ...this.dialect.recheck(CLAIM_RECHECK, now).params],
      this.dispatchNamed,
    );
    const claimed = raw.map(toInboxEntity);
    // Within a batch, older changes first (by received time, then changed_at).
    return claimed.sort(
      (a, b) => a.receivedAt - b.receivedAt || String(a.changedAt).localeCompare(String(b.changedAt)),
    );
  }

  /**
   * Extends `owner`'s lease to `now + leaseMs` on `ids` (rows of one claimed batch still in hand),
   * each only where the lease is still `owner`'s and unexpired, and computes their watermark from
   * every change stored by now (`stale`: a later `changed_at` of the same investment exists;
   * `previousStatus`: the status of the latest earlier change), storing it on the rows. One statement.
   * Returns the watermark of each row still held; a row missing from the map lost its lease (another
   * instance may have claimed it) and must not be dispatched.
   */
  async renewLeases(
    ids: readonly string[],
    owner: string,
    leaseMs: number,
    now = Date.now(),
  ): Promise<Map<string, { stale: boolean; previousStatus: string | null }>> {
    const held = new Map<string, { stale: boolean; previousStatus: string | null }>();
    if (ids.length === 0) return held;
    const leased = this.dialect.anyOf('"id"', ids, 'varchar');
    const sql =
      `UPDATE ${TABLE} SET "lease_until" = ?, ${WATERMARK_ASSIGNMENTS} ` +
      `WHERE ${leased.sql} AND "lease_owner" = ? AND "lease_until" > ? ` +
      `RETURNING "id", "stale", "previous_status"`;
    const params = [now + leaseMs, ...leased.params, owner, now];
    for (const row of await this.write(sql, params, this.dispatchNamed)) {
      const previous = row.previous_status;
      held.set(String(row.id), {
        // SQLite answers booleans as 0 / 1.
        stale: Boolean(Number(row.stale)),
        previousStatus: typeof previous === 'string' ? previous : null,
      });
    }
    return held;
  }

  /** Marks a claimed row processed; false if the lease was lost meanwhile. */
  async markProcessed(id: string, owner: string, now = Date.now()): Promise<boolean> {
    return (await this.markProcessedMany([id], owner, now)) > 0;
  }

  /** Marks claimed rows processed in one statement; returns how many were still held by `owner`. */
  async markProcessedMany(ids: string[], owner: string, now = Date.now()): Promise<number> {
    if (ids.length === 0) return 0;
    // Postgres: the ids as one array parameter: fixed text, prepared once per connection.
    const marked = this.dialect.anyOf('"id"', ids, 'varchar');
    const sql =
      `UPDATE ${TABLE} SET "state" = 'processed', "processed_at" = ?, "last_error" = NULL, "lease_owner" = NULL, "lease_until" = NULL ` +
      `WHERE ${marked.sql} AND "lease_owner" = ? RETURNING "id"`;
    return (await this.write(sql, [now, ...marked.params, owner], this.dispatchNamed)).length;
  }

  /** Schedules another attempt of a claimed row. */
  async markRetry(id: string, owner: string, nextAttemptAt: number, lastError: string): Promise<boolean> {
    return this.settle(
      `"next_attempt_at" = ?, "last_error" = ?`,
      [nextAttemptAt, truncate(lastError)],
      id,
      owner,
    );
  }

  /** Marks a claimed row dead (no further attempts). */
  async markDead(id: string, owner: string, lastError: string): Promise<boolean> {
    return this.settle(`"state" = 'dead', "last_error" = ?`, [truncate(lastError)], id, owner);
  }

  /** Applies `assignments` and releases the lease, if `owner` still holds it. */
  private async settle(assignments: string, params: unknown[], id: string, owner: string): Promise<boolean> {
    const sql =
      `UPDATE ${TABLE} SET ${assignments}, "lease_owner" = NULL, "lease_until" = NULL ` +
      `WHERE "id" = ? AND "lease_owner" = ? RETURNING "id"`;
    return (await this.write(sql, [...params, id, owner], this.dispatchWrite)).length > 0;
  }

  /**
   * Puts dead or processed rows back to `pending` for a fresh round of attempts. Returns how many.
   * Like every write of the store, on SQLite it waits for an idle connection (never inside the app's
   * open transaction, whose rollback would undo it).
   */
  async redispatch(
    filter: { id: string } | { state: 'dead' | 'processed' },
    now = Date.now(),
  ): Promise<number> {
    const set =
      `"state" = 'pending', "attempts" = 0, "next_attempt_at" = ?, "lease_owner" = NULL, ` +
      `"lease_until" = NULL, "processed_at" = NULL`;
    const where = 'id' in filter ? `"id" = ? AND "state" IN ('dead', 'processed')` : `"state" = ?`;
    const params = [now, 'id' in filter ? filter.id : filter.state];
    return (await this.write(`UPDATE ${TABLE} SET ${set} WHERE ${where} RETURNING "id"`, params)).length;
  }

  /**
   * Deletes `processed` rows processed before `before` (epoch ms), except the latest change of each
   * investment (the watermark that flags late older changes as stale), in statements of at most
   * `chunk` rows (each a short write: on SQLite one blocks the event loop while it runs). Resolves
   * with how many rows were deleted. `dead`, `quarantined` and `pending` rows are never touched.
   */
  async purgeProcessed(before: number, chunk = 500): Promise<number> {
    let total = 0;
    for (;;) {
      const deleted = (await this.write(PURGE_PROCESSED, [before, chunk], this.dispatchWrite)).length;
      total += deleted;
      if (deleted < chunk) return total;
    }
  }

  async find(id: string): Promise<WebhookInboxEntity | null> {
    return this.opened(await this.repository.findOneBy({ id }));
  }

  /** The row with its raw body in clear (nothing above the store sees ciphertext). */
  private opened<T extends WebhookInboxEntity | null>(row: T): T {
    if (row) row.rawBody = this.codec.open(row.rawBody, rawBodyBinding(row.id));
    return row;
  }

  async list(
    filter: { state?: WebhookInboxState; investmentId?: string; limit?: number } = {},
  ): Promise<WebhookInboxEntity[]> {
    const rows = await this.repository.find({
      where: {
        ...(filter.state ? { state: filter.state } : {}),
        ...(filter.investmentId ? { investmentId: filter.investmentId } : {}),
      },
      order: { receivedAt: 'ASC', changedAt: 'ASC' },
      take: filter.limit ?? 100,
    });
    return rows.map((row) => this.opened(row));
  }
}

/** A raw row (`RETURNING` of INBOX_COLUMNS) as the entity TypeORM would load: numbers and booleans typed. */
function toInboxEntity(row: Record<string, unknown>): WebhookInboxEntity {
  const text = (value: unknown): string | null =>
    value === null || value === undefined ? null : String(value);
  const epoch = (value: unknown): number | null =>
    value === null || value === undefined ? null : Number(value);
  return Object.assign(new WebhookInboxEntity(), {
    id: String(row.id),
    dedupeKey: String(row.dedupe_key),
    investmentId: text(row.investment_id),
    status: text(row.status),
    changedAt: text(row.changed_at),
    previousStatus: text(row.previous_status),
    // SQLite answers booleans as 0 / 1.
    stale: Boolean(Number(row.stale)),
    receivedAt: Number(row.received_at),
    state: String(row.state) as WebhookInboxState,
    attempts: Number(row.attempts),
    nextAttemptAt: Number(row.next_attempt_at),
    leaseOwner: text(row.lease_owner),
    leaseUntil: epoch(row.lease_until),
    lastError: text(row.last_error),
    processedAt: epoch(row.processed_at),
    rawBody: text(row.raw_body),
  } satisfies Omit<WebhookInboxEntity, never>);
}

function truncate(text: string): string {
  return text.length > 1000 ? `${text.slice(0, 997)}...` : text;
}
