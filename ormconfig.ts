/**
 * The demo's TypeORM DataSource, also used by the TypeORM CLI (`npm run migration:run`).
 * SQLite file under ./data by default (embedded, nothing to install); PostgreSQL when DATABASE_URL is set.
 */
import 'reflect-metadata';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { CASHLINK_MIGRATIONS } from './libs/cashlink/src/migrations/index';

export function demoDataSourceOptions(env: NodeJS.ProcessEnv = process.env): DataSourceOptions {
  const common = {
    migrations: [...(CASHLINK_MIGRATIONS as [])],
    migrationsRun: false,
    synchronize: false,
  };
  if (env.DATABASE_URL) {
    return { type: 'postgres', url: env.DATABASE_URL, ...common };
  }
  return { type: 'better-sqlite3', database: env.SQLITE_PATH ?? 'data/demo.sqlite', ...common };
}

export default new DataSource(demoDataSourceOptions());
