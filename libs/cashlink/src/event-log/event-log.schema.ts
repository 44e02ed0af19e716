import type { DataSource, QueryRunner } from 'typeorm';

/** The event names the log's triggers write (kept equal to `CASHLINK_EVENTS`). */
const STATUS_CHANGED = 'cashlink.investment.status_changed';
const INTENT_PREFIX = 'cashlink.intent.';

const EVENT_COLUMNS = '"name", "source", "source_id", "created_at", "state", "attempts", "next_attempt_at"';

/**
 * The triggers that write an event row in the same statement, hence the same transaction, as its fact:
 * a change stored in the inbox (`pending`), and an intent leaving `pending` (its settlement). Triggers,
 * not a second statement of the stores: the stores write one statement per fact and group many facts
 * per commit (SQLite group commit, Postgres `unnest` groups), and a trigger keeps both the atomicity
 * and those groups. A duplicate (same source, id and name) is ignored.
 */
export function eventLogTriggerStatements(postgres: boolean): string[] {
  if (!postgres) {
    return [
      `CREATE TRIGGER IF NOT EXISTS "cashlink_events_from_inbox" AFTER INSERT ON "cashlink_webhook_inbox" ` +
        `FOR EACH ROW WHEN NEW."state" = 'pending' BEGIN ` +
        `INSERT OR IGNORE INTO "cashlink_events" (${EVENT_COLUMNS}) ` +
        `VALUES ('${STATUS_CHANGED}', 'webhook', NEW."id", NEW."received_at", 'pending', 0, NEW."received_at"); END`,
      `CREATE TRIGGER IF NOT EXISTS "cashlink_events_from_intent" AFTER UPDATE OF "state" ON "cashlink_intents" ` +
        `FOR EACH ROW WHEN OLD."state" = 'pending' AND NEW."state" IN ('succeeded', 'failed', 'expired') BEGIN ` +
        `INSERT OR IGNORE INTO "cashlink_events" (${EVENT_COLUMNS}) ` +
        `VALUES ('${INTENT_PREFIX}' || NEW."state", 'intent', NEW."idempotency_key", NEW."updated_at", 'pending', 0, NEW."updated_at"); END`,
    ];
  }
  return [
    // One statement-level trigger per inbox statement: a group of changes (one `unnest` insert) adds its
    // events in one INSERT ... SELECT, not one function call per row.
    `CREATE OR REPLACE FUNCTION "cashlink_events_from_inbox"() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN ` +
      `INSERT INTO "cashlink_events" (${EVENT_COLUMNS}) ` +
      `SELECT '${STATUS_CHANGED}', 'webhook', i."id", i."received_at", 'pending', 0, i."received_at" FROM "cashlink_inbox_inserted" i ` +
      `WHERE i."state" = 'pending' ON CONFLICT DO NOTHING; RETURN NULL; END $$`,
    `DROP TRIGGER IF EXISTS "cashlink_events_from_inbox" ON "cashlink_webhook_inbox"`,
    `CREATE TRIGGER "cashlink_events_from_inbox" AFTER INSERT ON "cashlink_webhook_inbox" ` +
      `REFERENCING NEW TABLE AS "cashlink_inbox_inserted" FOR EACH STATEMENT EXECUTE FUNCTION "cashlink_events_from_inbox"()`,
    `CREATE OR REPLACE FUNCTION "cashlink_events_from_intent"() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN ` +
      `INSERT INTO "cashlink_events" (${EVENT_COLUMNS}) ` +
      `VALUES ('${INTENT_PREFIX}' || NEW."state", 'intent', NEW."idempotency_key", NEW."updated_at", 'pending', 0, NEW."updated_at") ` +
      `ON CONFLICT DO NOTHING; RETURN NULL; END $$`,
    `DROP TRIGGER IF EXISTS "cashlink_events_from_intent" ON "cashlink_intents"`,
    // Row level with a WHEN: claims and lease renewals (most updates) never call the function.
    `CREATE TRIGGER "cashlink_events_from_intent" AFTER UPDATE OF "state" ON "cashlink_intents" FOR EACH ROW ` +
      `WHEN (OLD."state" = 'pending' AND NEW."state" IN ('succeeded', 'failed', 'expired')) ` +
      `EXECUTE FUNCTION "cashlink_events_from_intent"()`,
  ];
}

export function dropEventLogTriggerStatements(postgres: boolean): string[] {
  if (!postgres) {
    return [
      'DROP TRIGGER IF EXISTS "cashlink_events_from_inbox"',
      'DROP TRIGGER IF EXISTS "cashlink_events_from_intent"',
    ];
  }
  return [
    'DROP TRIGGER IF EXISTS "cashlink_events_from_inbox" ON "cashlink_webhook_inbox"',
    'DROP TRIGGER IF EXISTS "cashlink_events_from_intent" ON "cashlink_intents"',
    'DROP FUNCTION IF EXISTS "cashlink_events_from_inbox"()',
    'DROP FUNCTION IF EXISTS "cashlink_events_from_intent"()',
  ];
}

/** Whether both triggers of the event log exist. */
export async function eventLogTriggersInstalled(runner: QueryRunner | DataSource): Promise<boolean> {
  const postgres = ('connection' in runner ? runner.connection : runner).options.type === 'postgres';
  const rows = (await runner.query(
    postgres
      ? `SELECT tgname AS name FROM pg_trigger WHERE tgname IN ('cashlink_events_from_inbox', 'cashlink_events_from_intent')`
      : `SELECT name FROM sqlite_master WHERE type = 'trigger' AND name IN ('cashlink_events_from_inbox', 'cashlink_events_from_intent')`,
  )) as unknown[];
  return rows.length === 2;
}

/**
 * `synchronize: true` creates tables from the entities but no triggers: the event log then installs
 * them itself at start-up (idempotent), once the tables exist. With migrations this is never needed.
 */
export async function installEventLogTriggers(dataSource: DataSource): Promise<void> {
  const postgres = dataSource.options.type === 'postgres';
  for (const sql of eventLogTriggerStatements(postgres)) await dataSource.query(sql);
}
