import { createHash } from 'node:crypto';
import type { DataSource } from 'typeorm';

/** A statement for node-postgres: with a `name`, prepared once per connection and then only executed. */
export interface PgStatement {
  /** Set for statements of fixed text (the parameters are values, never SQL). */
  name?: string;
  text: string;
  values?: unknown[];
}

/** What node-postgres answers: the rows (`RETURNING`) and how many rows the statement affected. */
export interface PgResult {
  rows: Array<Record<string, unknown>>;
  rowCount: number | null;
}

/** The part of a node-postgres client the library uses (what TypeORM's query runner `connect()` answers). */
interface PgClient {
  query(statement: PgStatement | string): Promise<PgResult>;
}

const statementNames = new Map<string, string>();

/**
 * A stable name for a statement of fixed text: `<prefix>_<hash of the text>`, so that two texts never
 * share a name (node-postgres refuses a name prepared with another text on the same connection).
 */
export function statementName(prefix: string, text: string): string {
  let name = statementNames.get(text);
  if (!name) {
    name = `${prefix}_${createHash('sha256').update(text).digest('hex').slice(0, 16)}`;
    statementNames.set(text, name);
  }
  return name;
}

/**
 * Runs `work` on one pooled connection of `dataSource` (Postgres), outside any transaction of the
 * app, with node-postgres's own client: named statements are parsed and planned once per connection
 * (TypeORM's `query()` sends every statement unnamed, so Postgres plans it again each time), and no
 * query runner bookkeeping is paid per statement. The connection goes back to the pool afterwards.
 *
 * Named statements and poolers: PgBouncer in transaction mode before 1.21 (or without
 * `max_prepared_statements`) does not keep them. `runPostgresStatement` and `runPostgresTransaction`
 * then run the statement again unnamed (it had not run), so writes still go through, one round trip
 * dearer; README "Production checklist" says so.
 */
export async function withPostgresClient<T>(
  dataSource: DataSource,
  work: (query: (statement: PgStatement | string) => Promise<PgResult>) => Promise<T>,
): Promise<T> {
  const runner = dataSource.createQueryRunner();
  try {
    const client = (await runner.connect()) as PgClient;
    return await work((statement) => client.query(statement));
  } finally {
    await runner.release();
  }
}

/**
 * True when Postgres did not know (26000) or already had (42P05) the named statement: a pooler in
 * front of it moved the session to another server connection. The statement did not run.
 */
function preparedStatementLost(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '26000' || code === '42P05';
}

/** The statement without its name (parsed and planned again at every use). */
function unnamed({ text, values }: PgStatement): PgStatement {
  return { text, values };
}

/**
 * One statement on its own (autocommit) on a pooled connection. A named statement that a pooler lost
 * (see `withPostgresClient`) runs again unnamed: it had not run.
 */
export function runPostgresStatement(dataSource: DataSource, statement: PgStatement): Promise<PgResult> {
  return withPostgresClient(dataSource, async (query) => {
    try {
      return await query(statement);
    } catch (error) {
      if (!statement.name || !preparedStatementLost(error)) throw error;
      return query(unnamed(statement));
    }
  });
}

/**
 * One statement in its own short transaction on a pooled connection, in three round trips: `BEGIN`
 * with `settings` (one simple query of `set_config(…, true)` calls: local to the transaction), the
 * statement, `COMMIT`. On an error the transaction is rolled back before the connection goes back to
 * the pool; a named statement a pooler lost runs again, unnamed, in a new transaction.
 */
export function runPostgresTransaction(
  dataSource: DataSource,
  settings: string,
  statement: PgStatement,
): Promise<PgResult> {
  return withPostgresClient(dataSource, async (query) => {
    const attempt = async (current: PgStatement): Promise<PgResult> => {
      try {
        await query(`BEGIN; ${settings}`);
        const result = await query(current);
        await query('COMMIT');
        return result;
      } catch (error) {
        await query('ROLLBACK').catch(() => undefined);
        throw error;
      }
    };
    try {
      return await attempt(statement);
    } catch (error) {
      if (!statement.name || !preparedStatementLost(error)) throw error;
      return attempt(unnamed(statement));
    }
  });
}
