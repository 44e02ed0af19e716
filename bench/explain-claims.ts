/**
 * The plans of the claim queries on a 100,000-row backlog (no scan may grow with the backlog).
 *
 *   node -r @swc-node/register bench/explain-claims.ts [rows]
 *
 * Seeds pending intents and inbox rows in a fresh SQLite file and a fresh Postgres database and
 * prints the plan of each claim statement (EXPLAIN QUERY PLAN / EXPLAIN ANALYZE).
 */
import { createBenchDatabase, postgresAvailable, type DatabaseKind } from './lib/databases';
import { openMigrated, seedInbox, seedIntents } from './lib/seed';

const CLAIM_INTENTS = `SELECT "idempotency_key" FROM "cashlink_intents"
  WHERE "state" = 'pending' AND "next_attempt_at" <= :now AND ("lease_until" IS NULL OR "lease_until" <= :now)
  ORDER BY "next_attempt_at" LIMIT 50`;
const CLAIM_INBOX = `UPDATE "cashlink_webhook_inbox" SET "lease_owner" = 'me', "lease_until" = :now, "attempts" = "attempts" + 1
  WHERE "id" IN (SELECT "id" FROM "cashlink_webhook_inbox" WHERE "state" = 'pending' AND "next_attempt_at" <= :now
  AND ("lease_until" IS NULL OR "lease_until" <= :now) ORDER BY "next_attempt_at" LIMIT 20) RETURNING "id"`;

async function explain(kind: DatabaseKind, rows: number): Promise<void> {
  const db = await createBenchDatabase(kind);
  const ds = await openMigrated(db.options);
  try {
    await seedIntents(ds, rows, 'investor');
    await seedInbox(ds, rows);
    const now = String(Date.now() + 1000);
    for (const [name, sql] of [
      ['claim due intents (candidates)', CLAIM_INTENTS],
      ['claim due inbox rows', CLAIM_INBOX],
    ] as const) {
      const text = sql.replaceAll(':now', now);
      const plan = (await ds.query(
        kind === 'sqlite' ? `EXPLAIN QUERY PLAN ${text}` : `EXPLAIN ANALYZE ${text}`,
      )) as Array<Record<string, unknown>>;
      process.stdout.write(`\n[${kind}, ${rows} rows] ${name}\n`);
      for (const line of plan) process.stdout.write(`  ${String(line.detail ?? line['QUERY PLAN'])}\n`);
      if (kind === 'postgres')
        await ds.query('UPDATE "cashlink_webhook_inbox" SET "lease_owner" = NULL, "lease_until" = NULL');
    }
  } finally {
    await ds.destroy();
    await db.drop();
  }
}

async function main(): Promise<void> {
  const rows = Number(process.argv[2] ?? 100_000);
  await explain('sqlite', rows);
  if (await postgresAvailable()) await explain('postgres', rows);
}

void main();
