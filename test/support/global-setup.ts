import { Client } from 'pg';
import { POSTGRES_URL } from './postgres-url';

/**
 * Checks PostgreSQL once per run. Outside CI a missing server skips the Postgres cases, loudly;
 * with CI=true it fails the whole run, because CI must prove every behaviour on Postgres.
 */
export default async function globalSetup(): Promise<void> {
  const client = new Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('select 1');
    process.env.CASHLINK_TEST_POSTGRES = 'available';
  } catch (error) {
    if (process.env.CI === 'true') {
      throw new Error(`CI=true and PostgreSQL is not reachable at ${POSTGRES_URL}`, { cause: error });
    }
    process.env.CASHLINK_TEST_POSTGRES = 'unavailable';
    process.stderr.write(
      `\n[tests] PostgreSQL is not reachable at ${POSTGRES_URL}: every Postgres case is SKIPPED on this machine.\n` +
        `[tests] Start it (see README) or set CASHLINK_TEST_POSTGRES_URL; in CI this fails the run.\n\n`,
    );
  } finally {
    await client.end().catch(() => undefined);
  }
}
