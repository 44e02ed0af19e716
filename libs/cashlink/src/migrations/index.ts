import type { MixedList } from 'typeorm';

/**
 * Every TypeORM migration of the library, for SQLite and PostgreSQL. Add them to the host's
 * DataSource `migrations` (or use `migrationsRun: true`). Each feature appends its own class.
 */
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export const CASHLINK_MIGRATIONS: MixedList<Function> = [];
