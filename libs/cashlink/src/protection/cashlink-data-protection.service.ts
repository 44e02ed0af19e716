import { Logger, type OnApplicationBootstrap, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { SQLITE_IDLE_WAIT_MS } from '../persistence/sqlite-connection';
import { storeDialectOf, type StoreDialect, type StoreWriteOptions } from '../persistence/store-dialect';
import { CashlinkError } from '../errors/cashlink.error';
import {
  INBOX_TABLE,
  INTENT_PROTECTED_COLUMNS as INTENT_COLUMNS,
  INTENTS_TABLE as CASHLINK_INTENTS_TABLE,
  intentBinding,
  rawBodyBinding,
} from './protected-columns';
import { CASHLINK_ENCRYPTION_KEYS_TABLE } from './cashlink-encryption-key.entity';
import { missingKeyError, ProtectionCodec } from './protection-codec';
import type { ResolvedProtectionOptions } from './protection.options';

/** Why an intent erased before it settled is never sent (kept in the row: it names no person). */
const ERASED_PENDING_REASON = 'its personal data was erased before it was settled';

/** What `reencrypt` did. */
export interface CashlinkReencryptSummary {
  /** Rows whose values were sealed again under the active key (or written in clear with `encryption: false`). */
  intents: number;
  webhooks: number;
  /** Key ids no stored value uses any more (removed from the registry: they may leave the ring). */
  retiredKeyIds: string[];
}

/** What `purgePersonalData` erased. */
export interface CashlinkRetentionSummary {
  intents: number;
  webhooks: number;
}

/**
 * Encryption key rotation, erasure (GDPR Art. 17) and retention of the personal data the library
 * stores. See docs/personal-data.md. Available with persistence on.
 */
export class CashlinkDataProtectionService implements OnModuleInit, OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('CashlinkDataProtection');
  private readonly dialect: StoreDialect;
  /** SQLite: never inside an app transaction open on the shared connection. */
  private readonly writeOptions: StoreWriteOptions = {
    maxWaitMs: SQLITE_IDLE_WAIT_MS,
    timeoutError: () =>
      new CashlinkError(
        `The SQLite connection stayed inside a transaction for ${SQLITE_IDLE_WAIT_MS} ms; the data protection write was not made`,
      ),
  };
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly dataSource: DataSource,
    private readonly codec: ProtectionCodec,
    private readonly options: ResolvedProtectionOptions,
    private readonly now: () => number = Date.now,
  ) {
    this.dialect = storeDialectOf(dataSource);
  }

  /**
   * Start-up: refuses a key ring that lacks a key id some stored value may use, then registers the
   * active key id (before anything is sealed with it).
   */
  async onModuleInit(): Promise<void> {
    const rows: { key_id: string }[] = await this.dataSource.query(
      `SELECT "key_id" FROM "${CASHLINK_ENCRYPTION_KEYS_TABLE}"`,
    );
    const missing = rows.map((r) => r.key_id).filter((id) => !this.codec.hasKey(id));
    if (missing.length > 0) throw missingKeyError(missing);
    if (this.codec.enabled) {
      await this.write(
        `INSERT INTO "${CASHLINK_ENCRYPTION_KEYS_TABLE}" ("key_id", "registered_at") VALUES (?, ?) ON CONFLICT DO NOTHING`,
        [this.codec.activeKeyId, this.now()],
      );
    }
  }

  onApplicationBootstrap(): void {
    if (this.options.retentionMs === false) return;
    this.timer = setInterval(() => {
      this.purgePersonalData().catch((error: unknown) =>
        this.logger.error(`Personal data retention failed: ${(error as Error)?.name ?? 'error'}`),
      );
    }, this.options.retentionIntervalMs);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /**
   * Seals every stored value again under the active key (values stored in clear before encryption was
   * on included; with `encryption: false`, writes them in clear), in batches of `batchSize` rows, each
   * row by a conditional UPDATE (a row written meanwhile is read again, never overwritten). Then removes
   * every other key id from the registry: once all instances run with the new active key and this
   * returned, the old keys can leave `encryption.keys`. Safe to run again, and while the app works.
   */
  async reencrypt({ batchSize = 200 }: { batchSize?: number } = {}): Promise<CashlinkReencryptSummary> {
    let intents = 0;
    let webhooks = 0;
    for (let pass = 0; ; pass++) {
      const i = await this.reencryptIntents(batchSize);
      const w = await this.reencryptInbox(batchSize);
      intents += i.done;
      webhooks += w.done;
      if (i.missed + w.missed === 0) break;
      if (pass >= 10) {
        throw new CashlinkError(
          'reencrypt: rows kept changing under it for 10 passes; run it again when the app is less busy',
        );
      }
    }
    const keep = this.codec.enabled ? [this.codec.activeKeyId] : [];
    const rows: { key_id: string }[] = await this.dataSource.query(
      `SELECT "key_id" FROM "${CASHLINK_ENCRYPTION_KEYS_TABLE}"`,
    );
    const retiredKeyIds = rows.map((r) => r.key_id).filter((id) => !keep.includes(id));
    for (const id of retiredKeyIds) {
      await this.write(`DELETE FROM "${CASHLINK_ENCRYPTION_KEYS_TABLE}" WHERE "key_id" = ?`, [id]);
    }
    this.logger.log(
      `Re-encrypted ${intents} intent(s) and ${webhooks} webhook row(s); retired key id(s): ${retiredKeyIds.join(', ') || 'none'}`,
    );
    return { intents, webhooks, retiredKeyIds };
  }

  /**
   * Erases the personal data of the intents with these idempotency keys: request, answer and error are
   * deleted; key, request hash, state and times stay, so a repeat of a key is refused with
   * `CashlinkIntentErasedError` and never sent. A pending intent is settled `expired` at once and is
   * never sent (one in flight right now may still reach Cashlink; its answer is not stored).
   * Returns the keys that were found.
   */
  async eraseIntents(keys: readonly string[]): Promise<string[]> {
    const erased: string[] = [];
    for (const key of keys) {
      const now = this.now();
      const affected = await this.write(
        `UPDATE "${CASHLINK_INTENTS_TABLE}" SET "request_body" = NULL, "response_body" = NULL, "last_error" = NULL,
           "unrecoverable_reason" = CASE WHEN "state" = 'pending' THEN ? ELSE "unrecoverable_reason" END,
           "state" = CASE WHEN "state" = 'pending' THEN 'expired' ELSE "state" END,
           "settled_at" = COALESCE("settled_at", ?), "lease_owner" = NULL, "lease_until" = NULL,
           "erased_at" = ?, "updated_at" = ?
         WHERE "idempotency_key" = ?`,
        [ERASED_PENDING_REASON, now, now, now, key],
      );
      if (affected > 0) erased.push(key);
    }
    if (erased.length > 0) this.logger.log(`Erased the personal data of ${erased.length} intent(s)`);
    return erased;
  }

  /** `eraseIntents` for one key; false when no intent has it. */
  async eraseIntent(key: string): Promise<boolean> {
    return (await this.eraseIntents([key])).length === 1;
  }

  /**
   * Erases the personal data of every intent about one Cashlink investor: its creation (the answer's
   * `id`), updates, identifications and wallets (the path), investments (`investor_id`), and the
   * document uploads those requests reference (`legitimation_protocol_id`, `signed_documents`).
   * Reads every intent that still has a body (decrypting it): a rare, offline-sized operation.
   * Returns the erased keys.
   */
  async eraseInvestor(investorId: string): Promise<string[]> {
    const keys = new Set<string>();
    const documentIds = new Set<string>();
    const uploads = new Map<string, string>();
    await this.scanIntents(200, (row) => {
      const request = parse<{ json?: unknown }>(row.request_body);
      const answer = parse<Record<string, unknown>>(row.response_body);
      const json = (request?.json ?? {}) as Record<string, unknown>;
      if (row.operation === 'documents.upload' && typeof answer?.id === 'string') {
        uploads.set(answer.id, row.idempotency_key);
      }
      const about =
        row.path.startsWith(`/v2/investors/${investorId}/`) ||
        json.investor_id === investorId ||
        answer?.investor_id === investorId ||
        (row.operation === 'investors.create' && answer?.id === investorId);
      if (!about) return;
      keys.add(row.idempotency_key);
      for (const id of [
        json.legitimation_protocol_id,
        ...(Array.isArray(json.signed_documents) ? json.signed_documents : []),
      ]) {
        if (typeof id === 'string') documentIds.add(id);
      }
    });
    for (const id of documentIds) {
      const key = uploads.get(id);
      if (key) keys.add(key);
    }
    return this.eraseIntents([...keys]);
  }

  /**
   * Retention (`personalData.retentionMs`): erases the bodies of `expired`, `needs_review`, `abandoned`,
   * `replaced` and `failed` intents settled
   * before the retention and of `dead` and `quarantined` webhook rows received before it; the rows stay.
   * Runs on a timer in every instance; callable by hand.
   */
  async purgePersonalData(): Promise<CashlinkRetentionSummary> {
    if (this.options.retentionMs === false) return { intents: 0, webhooks: 0 };
    const now = this.now();
    const before = now - this.options.retentionMs;
    // Like the idempotency retention: the row stays as a tombstone (key, hash, state, `purged_at`), so a
    // repeat of its key is refused instead of sent again.
    let intents = 0;
    for (;;) {
      const affected = await this.write(
        `UPDATE "${CASHLINK_INTENTS_TABLE}" SET "request_body" = NULL, "response_body" = NULL, "last_error" = NULL,
           "purged_at" = ?, "updated_at" = ?
         WHERE "idempotency_key" IN (SELECT "idempotency_key" FROM "${CASHLINK_INTENTS_TABLE}"
           WHERE "state" IN ('expired', 'failed', 'needs_review', 'abandoned', 'replaced') AND "purged_at" IS NULL
             AND "settled_at" < ? LIMIT 500)
         AND "purged_at" IS NULL`,
        [now, now, before],
      );
      intents += affected;
      if (affected < 500) break;
    }
    let webhooks = 0;
    for (;;) {
      const affected = await this.write(
        `UPDATE "${INBOX_TABLE}" SET "raw_body" = NULL, "last_error" = NULL
         WHERE "id" IN (SELECT "id" FROM "${INBOX_TABLE}" WHERE "state" IN ('dead', 'quarantined')
           AND "received_at" < ? AND ("raw_body" IS NOT NULL OR "last_error" IS NOT NULL) LIMIT 500)`,
        [before],
      );
      webhooks += affected;
      if (affected < 500) break;
    }
    if (intents + webhooks > 0) {
      this.logger.log(
        `Retention erased the personal data of ${intents} intent(s) and ${webhooks} webhook row(s)`,
      );
    }
    return { intents, webhooks };
  }

  private async reencryptIntents(batchSize: number): Promise<{ done: number; missed: number }> {
    let done = 0;
    let missed = 0;
    await this.scanIntents(batchSize, async (row, stored) => {
      if (INTENT_COLUMNS.every((c) => this.codec.isCurrent(stored[c]))) return;
      const sealed = INTENT_COLUMNS.map((c) =>
        this.codec.seal(row[c], intentBinding(c, row.idempotency_key)),
      );
      const affected = await this.write(
        `UPDATE "${CASHLINK_INTENTS_TABLE}" SET "request_body" = ?, "response_body" = ?, "last_error" = ?
         WHERE "idempotency_key" = ? AND "updated_at" = ?`,
        [...sealed, row.idempotency_key, stored.updated_at],
      );
      if (affected === 1) done++;
      else missed++;
    });
    return { done, missed };
  }

  private async reencryptInbox(batchSize: number): Promise<{ done: number; missed: number }> {
    let done = 0;
    let missed = 0;
    let after = '';
    for (;;) {
      const rows: { id: string; raw_body: string }[] = await this.dataSource.query(
        this.sql(
          `SELECT "id", "raw_body" FROM "${INBOX_TABLE}" WHERE "raw_body" IS NOT NULL AND "id" > ? ORDER BY "id" LIMIT ?`,
        ),
        [after, batchSize],
      );
      for (const row of rows) {
        if (this.codec.isCurrent(row.raw_body)) continue;
        const clear = this.codec.open(row.raw_body, rawBodyBinding(row.id));
        const affected = await this.write(
          `UPDATE "${INBOX_TABLE}" SET "raw_body" = ? WHERE "id" = ? AND "raw_body" = ?`,
          [this.codec.seal(clear, rawBodyBinding(row.id)), row.id, row.raw_body],
        );
        if (affected === 1) done++;
        else missed++;
      }
      if (rows.length < batchSize) return { done, missed };
      after = rows[rows.length - 1]!.id;
    }
  }

  /** Every intent with a body, in key order and batches, opened (`stored`: the row as stored). */
  private async scanIntents(
    batchSize: number,
    visit: (row: IntentRow, stored: IntentRow) => void | Promise<void>,
  ): Promise<void> {
    let after = '';
    for (;;) {
      const rows: IntentRow[] = await this.dataSource.query(
        this.sql(
          `SELECT "idempotency_key", "operation", "path", "request_body", "response_body", "last_error", "updated_at"
           FROM "${CASHLINK_INTENTS_TABLE}"
           WHERE "idempotency_key" > ? AND ("request_body" IS NOT NULL OR "response_body" IS NOT NULL OR "last_error" IS NOT NULL)
           ORDER BY "idempotency_key" LIMIT ?`,
        ),
        [after, batchSize],
      );
      for (const stored of rows) {
        const row = { ...stored };
        for (const c of INTENT_COLUMNS)
          row[c] = this.codec.open(stored[c], intentBinding(c, stored.idempotency_key));
        await visit(row, stored);
      }
      if (rows.length < batchSize) return;
      after = rows[rows.length - 1]!.idempotency_key;
    }
  }

  /**
   * One write statement with `?` placeholders; the affected row count. SQLite: on the DataSource's
   * group commit (never inside an app transaction open on the shared connection).
   */
  private write(sql: string, params: unknown[]): Promise<number> {
    return this.dialect.execute(sql, params, this.writeOptions);
  }

  private sql(text: string): string {
    return this.dialect.text(text);
  }
}

interface IntentRow {
  idempotency_key: string;
  operation: string;
  path: string;
  request_body: string | null;
  response_body: string | null;
  last_error: string | null;
  updated_at: string | number;
}

function parse<T>(text: string | null): T | undefined {
  if (text === null) return undefined;
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}
