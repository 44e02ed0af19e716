/**
 * A fresh, isolated database per benchmark run: an SQLite temp file or a new PostgreSQL database
 * (dropped afterwards), from the tests' own plain-Node helper.
 */
import {
  createTestDatabase,
  postgresAnswers,
  type DatabaseKind,
  type TestDatabase,
  type TestDatabaseOptions,
} from '../../test/support/test-database';

export { POSTGRES_URL, type DatabaseKind } from '../../test/support/test-database';

export type BenchDatabaseOptions = TestDatabaseOptions;
export type BenchDatabase = TestDatabase;

export function postgresAvailable(): Promise<boolean> {
  return postgresAnswers(2000);
}

export function createBenchDatabase(kind: DatabaseKind): Promise<BenchDatabase> {
  return createTestDatabase(kind);
}
