import { Table, TableIndex, type DataSource, type QueryRunner } from 'typeorm';

/** The event names the log's triggers write (kept equal to `CASHLINK_EVENTS`). */
const STATUS_CHANGED = 'cashlink.investment.status_changed';
const INTENT_PREFIX = 'cashlink.intent.';

/**
 * The intent states that end its `pending`: each writes its event. `needs_review` (stopped early by
 * repeated 409s) is announced as `cashlink.intent.expired`, like in process: both wait for a person.
 */
const SETTLED_STATES = "'succeeded', 'failed', 'expired', 'needs_review'";
const INTENT_EVENT_NAME = `'${INTENT_PREFIX}' || CASE NEW."state" WHEN 'needs_review' THEN 'expired' ELSE NEW."state" END`;

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
      // Dropped first: a migration that changes a trigger replaces it (CREATE ... IF NOT EXISTS would keep the old one).
      'DROP TRIGGER IF EXISTS "cashlink_events_from_inbox"',
      'DROP TRIGGER IF EXISTS "cashlink_events_from_intent"',
      `CREATE TRIGGER "cashlink_events_from_inbox" AFTER INSERT ON "cashlink_webhook_inbox" ` +
        `FOR EACH ROW WHEN NEW."state" = 'pending' BEGIN ` +
        `INSERT OR IGNORE INTO "cashlink_events" (${EVENT_COLUMNS}) ` +
        `VALUES ('${STATUS_CHANGED}', 'webhook', NEW."id", NEW."received_at", 'pending', 0, NEW."received_at"); END`,
      `CREATE TRIGGER "cashlink_events_from_intent" AFTER UPDATE OF "state" ON "cashlink_intents" ` +
        `FOR EACH ROW WHEN OLD."state" <> NEW."state" AND NEW."state" IN (${SETTLED_STATES}) BEGIN ` +
        `INSERT OR IGNORE INTO "cashlink_events" (${EVENT_COLUMNS}) ` +
        `VALUES (${INTENT_EVENT_NAME}, 'intent', NEW."idempotency_key", NEW."updated_at", 'pending', 0, NEW."updated_at"); END`,
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
      `VALUES (${INTENT_EVENT_NAME}, 'intent', NEW."idempotency_key", NEW."updated_at", 'pending', 0, NEW."updated_at") ` +
      `ON CONFLICT DO NOTHING; RETURN NULL; END $$`,
    `DROP TRIGGER IF EXISTS "cashlink_events_from_intent" ON "cashlink_intents"`,
    // Row level with a WHEN: claims and lease renewals (most updates) never call the function.
    `CREATE TRIGGER "cashlink_events_from_intent" AFTER UPDATE OF "state" ON "cashlink_intents" FOR EACH ROW ` +
      `WHEN (OLD."state" IS DISTINCT FROM NEW."state" AND NEW."state" IN (${SETTLED_STATES})) ` +
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
 * Creates `cashlink_events` and `cashlink_event_deliveries` (if they do not exist) and the triggers. The
 * migration runs it; so does the event log at start-up under `synchronize: true` (there are no entities
 * for these tables: the generated id is a `bigint` on Postgres and must be an `INTEGER` rowid on SQLite).
 */
export async function createEventLogSchema(queryRunner: QueryRunner): Promise<void> {
  const postgres = queryRunner.connection.options.type === 'postgres';
  await queryRunner.createTable(
    new Table({
      name: 'cashlink_events',
      columns: [
        {
          name: 'id',
          type: postgres ? 'bigint' : 'integer',
          isPrimary: true,
          isGenerated: true,
          generationStrategy: 'increment',
        },
        { name: 'name', type: 'varchar', length: '100' },
        { name: 'source', type: 'varchar', length: '16' },
        { name: 'source_id', type: 'varchar', length: '255' },
        { name: 'created_at', type: 'bigint' },
        { name: 'state', type: 'varchar', length: '16' },
        { name: 'attempts', type: 'integer', default: 0 },
        { name: 'next_attempt_at', type: 'bigint' },
        { name: 'lease_owner', type: 'varchar', length: '64', isNullable: true },
        { name: 'lease_until', type: 'bigint', isNullable: true },
        { name: 'done_at', type: 'bigint', isNullable: true },
      ],
      indices: [
        // Claims look for due events by state and time.
        new TableIndex({ name: 'IDX_cashlink_events_due', columnNames: ['state', 'next_attempt_at'] }),
        // One event per fact and name: a trigger firing twice for one fact adds nothing.
        new TableIndex({
          name: 'UQ_cashlink_events_fact',
          columnNames: ['source', 'source_id', 'name'],
          isUnique: true,
        }),
      ],
    }),
    true,
  );
  await queryRunner.createTable(
    new Table({
      name: 'cashlink_event_deliveries',
      columns: [
        { name: 'event_id', type: 'bigint', isPrimary: true },
        { name: 'handler', type: 'varchar', length: '200', isPrimary: true },
        { name: 'state', type: 'varchar', length: '16' },
        { name: 'attempts', type: 'integer', default: 0 },
        { name: 'next_attempt_at', type: 'bigint' },
        { name: 'last_error', type: 'varchar', length: '1000', isNullable: true },
        { name: 'updated_at', type: 'bigint' },
      ],
    }),
    true,
  );
  for (const sql of eventLogTriggerStatements(postgres)) await queryRunner.query(sql);
}

/**
 * `synchronize: true` creates the library's other tables from their entities: the event log then creates
 * its own tables and triggers at start-up (idempotent). With migrations this is never needed.
 */
export async function installEventLog(dataSource: DataSource): Promise<void> {
  const runner = dataSource.createQueryRunner();
  try {
    await createEventLogSchema(runner);
  } finally {
    await runner.release();
  }
}
