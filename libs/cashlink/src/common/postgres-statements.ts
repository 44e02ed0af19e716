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
 * `max_prepared_statements`) does not keep them. Where a failure would lose data the library falls back
 * to an unnamed statement (a received webhook: the inbox); elsewhere the statement fails safely (an
 * intent write fails before anything is sent; a claim or processed mark is retried by the next round).
 * README "Production checklist" says so.
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

/** One statement on its own (autocommit) on a pooled connection. */
export function runPostgresStatement(dataSource: DataSource, statement: PgStatement): Promise<PgResult> {
  return withPostgresClient(dataSource, (query) => query(statement));
}
