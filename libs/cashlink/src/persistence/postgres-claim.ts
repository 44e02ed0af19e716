import type { DataSource } from 'typeorm';
import { runPostgresTransaction, type PgStatement } from './postgres-statements';

/**
 * Planner settings for one claim statement, local to its transaction (`set_config(…, true)` is
 * `SET LOCAL`): no bitmap scan and no sort, so the planner walks the `(state, next_attempt_at)` index
 * in order and stops at the `LIMIT`.
 *
 * Why: a claim is `UPDATE … WHERE id IN (SELECT … WHERE state = 'pending' AND next_attempt_at <= now
 * ORDER BY next_attempt_at LIMIT n FOR UPDATE SKIP LOCKED)`. With up-to-date statistics Postgres
 * plans an ordered index scan (about 0.5 ms at 40,000 pending rows). With stale ones (a new table, or
 * a burst of webhooks or failed calls that autovacuum has not analysed yet) it believes the backlog is
 * a few rows and plans a bitmap scan of every pending row plus a sort: about 20 ms per claim at 40,000
 * rows, growing with the backlog, so the dispatcher falls further behind the more it has to do
 * (measured with `bench/explain-claims.ts`). The settings make the claim's cost independent of the
 * statistics; they change nothing else (the rest of the session keeps its settings).
 */
export const INDEX_ORDERED_CLAIM_SETTINGS =
  "SELECT set_config('enable_bitmapscan', 'off', true), set_config('enable_sort', 'off', true)";

/**
 * Runs one claim statement on Postgres in its own short transaction with INDEX_ORDERED_CLAIM_SETTINGS
 * (`runPostgresTransaction`: `BEGIN` with the settings, the named claim, `COMMIT`; rolled back on an
 * error). Answers the statement's rows (`RETURNING`).
 */
export async function runPostgresClaim(
  dataSource: DataSource,
  statement: PgStatement,
): Promise<Array<Record<string, unknown>>> {
  return (await runPostgresTransaction(dataSource, INDEX_ORDERED_CLAIM_SETTINGS, statement)).rows;
}
