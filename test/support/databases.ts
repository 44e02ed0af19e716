/**
 * Real databases for tests: every persistence behaviour runs on SQLite and on PostgreSQL
 * (see `test-database.ts`). Without a reachable Postgres server the Postgres cases are skipped with a
 * visible message, except when CI=true: there a missing Postgres fails the run (`global-setup.ts`).
 */
import { type DatabaseKind, isPostgresAvailable } from './test-database';

export * from './test-database';

/**
 * Runs a describe block once per database kind. The Postgres block is skipped, with a message
 * printed by the global set-up, only outside CI when no server answers.
 *
 *   describeEachDatabase('intents store', (kind) => { ... createTestDatabase(kind) ... });
 */
export function describeEachDatabase(title: string, body: (kind: DatabaseKind) => void): void {
  describe(`${title} [sqlite]`, () => body('sqlite'));
  describeIfPostgres(`${title} [postgres]`, () => body('postgres'));
}

/** `describe` when PostgreSQL is reachable; an explained skip (see global-setup.ts) otherwise. */
export const describeIfPostgres: jest.Describe = isPostgresAvailable() ? describe : describe.skip;
