/**
 * The demo's TypeORM DataSource for the TypeORM CLI (`npm run migration:run`, `npm run migration:generate`),
 * with the same settings as the app (src/config/database.options.ts): an SQLite file under ./data
 * (DEMO_DATA_DIR) by default, PostgreSQL when DATABASE_URL is set; the library's migrations and the demo's.
 */
import 'reflect-metadata';
import { resolve } from 'node:path';
import { DataSource } from 'typeorm';
import { demoDataSourceOptions } from './src/config/database.options';

export default new DataSource(
  demoDataSourceOptions({
    databaseUrl: process.env.DATABASE_URL || undefined,
    dataDir: resolve(process.env.DEMO_DATA_DIR ?? 'data'),
  }),
);
