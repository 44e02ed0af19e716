// A real Nest app for the durable-write tests: TypeORM on a test database (migrations run), the event
// emitter, and CashlinkModule pointed at an emulator. Used in-process and by the child-process fixture.
import 'reflect-metadata';
import { type DynamicModule, type INestApplicationContext, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { TypeOrmModule } from '@nestjs/typeorm';
import { CashlinkModule } from '../../../libs/cashlink/src/cashlink.module';
import type { CashlinkIdempotencyOptions } from '../../../libs/cashlink/src/idempotency/idempotency.options';
import type { CashlinkEncryptionOptions } from '../../../libs/cashlink/src/protection/protection.options';
import { CASHLINK_MIGRATIONS } from '../../../libs/cashlink/src/migrations/index';
import { testEncryptionKeys } from '../../../libs/cashlink/src/testing/test-encryption-keys';

export interface DurableAppConfig {
  /** `better-sqlite3` file path or a postgres:// URL. */
  database: { type: 'better-sqlite3'; database: string } | { type: 'postgres'; url: string };
  baseUrl: string;
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  idempotency?: CashlinkIdempotencyOptions | false;
  /** Name of the TypeORM DataSource (default: the unnamed one). */
  dataSourceName?: string;
  /** HTTP retries inside one attempt. */
  maxRetries?: number;
  timeoutMs?: number;
  /** The key ring (default: `testEncryptionKeys()`; null: the option left out). */
  encryption?: CashlinkEncryptionOptions | false | null;
}

/** Short intervals so that the tests stay fast. */
export const FAST_IDEMPOTENCY: CashlinkIdempotencyOptions = {
  leaseMs: 2_000,
  backoff: { initialDelayMs: 20, maxDelayMs: 100, multiplier: 2, jitter: true },
  recovery: { intervalMs: 50, batchSize: 50, concurrency: 10 },
};

export function durableAppModule(config: DurableAppConfig): DynamicModule {
  @Module({})
  class DurableTestAppModule {}
  const db = config.database;
  return {
    module: DurableTestAppModule,
    imports: [
      EventEmitterModule.forRoot(),
      TypeOrmModule.forRoot({
        ...(db.type === 'better-sqlite3'
          ? // Several processes share the file in the crash tests: wait for the write lock instead of failing.
            { type: 'better-sqlite3' as const, database: db.database, timeout: 15_000, enableWAL: true }
          : { type: 'postgres' as const, url: db.url, extra: { max: 10 } }),
        name: config.dataSourceName,
        autoLoadEntities: true,
        migrations: CASHLINK_MIGRATIONS,
        migrationsRun: true,
        synchronize: false,
        logging: false,
      }),
      CashlinkModule.forRoot({
        baseUrl: config.baseUrl,
        tokenUrl: config.tokenUrl,
        clientId: config.clientId,
        clientSecret: config.clientSecret,
        http: {
          maxRetries: config.maxRetries ?? 2,
          retryBaseDelayMs: 5,
          retryMaxDelayMs: 20,
          maxRetryAfterMs: 50,
          ...(config.timeoutMs ? { timeoutMs: config.timeoutMs } : {}),
        },
        idempotency: config.idempotency === undefined ? FAST_IDEMPOTENCY : config.idempotency,
        dataSource: config.dataSourceName,
        ...(config.encryption === null
          ? {}
          : { encryption: config.encryption === undefined ? testEncryptionKeys() : config.encryption }),
      }),
    ],
  };
}

/** Starts the app (an application context: no HTTP server is needed) with shutdown hooks enabled. */
export async function startDurableApp(config: DurableAppConfig): Promise<INestApplicationContext> {
  const app = await NestFactory.createApplicationContext(durableAppModule(config), { logger: ['error'] });
  app.enableShutdownHooks();
  await app.init();
  return app;
}
