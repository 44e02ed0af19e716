import { closeSync, chmodSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { CASHLINK_MIGRATIONS } from 'nestjs-cashlink';
import type { DataSourceOptions, MigrationInterface } from 'typeorm';
import { Customer } from '../customers/customer.entity';
import { CreateDemoTables1796100000000 } from '../migrations/1796100000000-create-demo-tables';
import { Subscription } from '../subscriptions/subscription.entity';
import { ensurePrivateDir } from './demo-encryption';

/** The demo's own entities (the library registers its entities itself, with `forFeature`). */
export const DEMO_ENTITIES = [Customer, Subscription];

/** The library's migrations first, then the demo's. */
export const DEMO_MIGRATIONS: Array<new () => MigrationInterface> = [
  ...CASHLINK_MIGRATIONS,
  CreateDemoTables1796100000000,
];

/**
 * One DataSource configuration for the app and the TypeORM CLI (`ormconfig.ts`): PostgreSQL when
 * `databaseUrl` is set, else an SQLite file in `dataDir` (created if missing, so a fresh clone works).
 */
export function demoDataSourceOptions(settings: {
  databaseUrl?: string;
  dataDir: string;
}): DataSourceOptions {
  const common = { entities: DEMO_ENTITIES, migrations: DEMO_MIGRATIONS, synchronize: false } as const;
  if (settings.databaseUrl) return { type: 'postgres', url: settings.databaseUrl, ...common };
  // The database holds investor data: the folder is the owner's only (0700), and the file is created 0600
  // before SQLite opens it, because SQLite gives its -wal and -shm files the database file's mode.
  ensurePrivateDir(settings.dataDir);
  const file = join(settings.dataDir, 'demo.sqlite');
  closeSync(openSync(file, 'a', 0o600));
  chmodSync(file, 0o600);
  // WAL: readers never wait for the writer, and a commit is one append + fsync of the log instead of a
  // rollback journal written, synced and deleted. synchronous=FULL, set here so that every start runs
  // alike: better-sqlite3 gives synchronous=NORMAL to a connection that opens a database already in WAL
  // mode (every start after the first), where SQLite no longer syncs commits (the library then syncs the
  // log of its own commits itself: README, "Production checklist").
  return {
    type: 'better-sqlite3',
    database: file,
    enableWAL: true,
    prepareDatabase: (db: { pragma(source: string): unknown }) => {
      db.pragma('synchronous = FULL');
    },
    ...common,
  };
}
