import { DataSource } from 'typeorm';
import { CashlinkIntent } from '../../../libs/cashlink/src/idempotency/cashlink-intent.entity';
import { CreateCashlinkIntents1795985000000 } from '../../../libs/cashlink/src/migrations/1795985000000-create-cashlink-intents';
import { CashlinkIntentsPurgeTombstones1795995000000 } from '../../../libs/cashlink/src/migrations/1795995000000-cashlink-intents-purge-tombstones';
import { CashlinkIntentResolutions1796060000000 } from '../../../libs/cashlink/src/migrations/1796060000000-cashlink-intent-resolutions';
import { CashlinkDataProtection1796200000000 } from '../../../libs/cashlink/src/migrations/1796200000000-cashlink-data-protection';
import { createTestDatabase, type DatabaseKind, type TestDatabase } from '../../support/databases';

/** A fresh database with the intents table migrated, and a DataSource on it. */
export interface IntentDatabase {
  db: TestDatabase;
  dataSource: DataSource;
  /** Another DataSource on the same database (a second "instance"). */
  open(): Promise<DataSource>;
  close(): Promise<void>;
}

export async function createIntentDatabase(kind: DatabaseKind): Promise<IntentDatabase> {
  const db = await createTestDatabase(kind);
  const opened: DataSource[] = [];
  const open = async (migrationsRun = false): Promise<DataSource> => {
    const ds = new DataSource({
      ...db.options,
      ...(kind === 'sqlite' ? { timeout: 10_000 } : { extra: { max: 10 } }),
      entities: [CashlinkIntent],
      migrations: [
        CreateCashlinkIntents1795985000000,
        CashlinkIntentsPurgeTombstones1795995000000,
        CashlinkIntentResolutions1796060000000,
        CashlinkDataProtection1796200000000,
      ],
      migrationsRun,
      synchronize: false,
      logging: false,
    } as ConstructorParameters<typeof DataSource>[0]);
    await ds.initialize();
    opened.push(ds);
    return ds;
  };
  const dataSource = await open(true);
  return {
    db,
    dataSource,
    open: () => open(false),
    close: async () => {
      for (const ds of opened.reverse()) if (ds.isInitialized) await ds.destroy();
      await db.drop();
    },
  };
}
