import { POSTGRES_URL } from './postgres-url';
import { postgresAnswers } from './test-database';

/**
 * Checks PostgreSQL once per run. Outside CI a missing server skips the Postgres cases, loudly;
 * with CI=true it fails the whole run, because CI must prove every behaviour on Postgres.
 */
export default async function globalSetup(): Promise<void> {
  if (await postgresAnswers()) {
    process.env.CASHLINK_TEST_POSTGRES = 'available';
    return;
  }
  if (process.env.CI === 'true') {
    throw new Error(`CI=true and PostgreSQL is not reachable at ${POSTGRES_URL}`);
  }
  process.env.CASHLINK_TEST_POSTGRES = 'unavailable';
  process.stderr.write(
    `\n[tests] PostgreSQL is not reachable at ${POSTGRES_URL}: every Postgres case is SKIPPED on this machine.\n` +
      `[tests] Start it (see README) or set CASHLINK_TEST_POSTGRES_URL; in CI this fails the run.\n\n`,
  );
}
