import { Injectable, Module, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import {
  CashlinkCampaignsService,
  CashlinkConfigError,
  CashlinkInvestmentsService,
  CashlinkInvestorsService,
  CashlinkModule,
  type CashlinkInvestorCreate,
  type CashlinkModuleOptions,
} from 'nestjs-cashlink';
import { exampleInvestorInput, startCashlinkEmulator, type CashlinkEmulator } from 'nestjs-cashlink/testing';
// The write seam is internal (not in the public entry); the test checks the binding by path.
import {
  CASHLINK_DURABLE_WRITE_EXECUTOR,
  CASHLINK_OPTIONS,
} from '../../libs/cashlink/src/cashlink.constants';
import type { ResolvedCashlinkOptions } from '../../libs/cashlink/src/cashlink-module-options.interface';
import { CashlinkHttpClient } from '../../libs/cashlink/src/http/cashlink-http.client';
import { CashlinkWriteExecutor } from '../../libs/cashlink/src/http/cashlink-write-executor';
import { DirectWriteExecutor } from '../../libs/cashlink/src/http/direct-write-executor';
import { createTestDatabase, type TestDatabase } from '../support/databases';
import { clientOptions } from './support/client-fixture';

const SETTINGS = Symbol('SETTINGS');

describe('CashlinkModule', () => {
  let emu: CashlinkEmulator;
  beforeAll(async () => {
    emu = await startCashlinkEmulator();
  });
  afterAll(async () => {
    await emu.close();
  });
  beforeEach(() => emu.reset());

  async function boot(imports: unknown[]): Promise<INestApplicationContext> {
    const moduleRef = await Test.createTestingModule({ imports: imports as never[] }).compile();
    return moduleRef.init();
  }

  async function callsCashlink(app: INestApplicationContext): Promise<void> {
    const page = await app.get(CashlinkCampaignsService).list();
    expect(page.count).toBeGreaterThan(0);
  }

  it('forRoot: resolves the options once and serves the services', async () => {
    const app = await boot([CashlinkModule.forRoot({ ...clientOptions(emu), persistence: false })]);
    try {
      const options = app.get<ResolvedCashlinkOptions>(CASHLINK_OPTIONS);
      expect(options.baseUrl).toBe(emu.baseUrl);
      expect(options.http.retryBaseDelayMs).toBe(5);
      await callsCashlink(app);
    } finally {
      await app.close();
    }
  });

  it('forRoot: extras are not taken for options (dataSource given without persistence)', async () => {
    const app = await boot([
      CashlinkModule.forRoot({
        ...clientOptions(emu),
        persistence: false,
        dataSource: 'reports',
        isGlobal: false,
      }),
    ]);
    try {
      expect(app.get(CashlinkWriteExecutor)).toBeInstanceOf(DirectWriteExecutor);
      await callsCashlink(app);
    } finally {
      await app.close();
    }
  });

  describe('forRootAsync', () => {
    @Module({ providers: [{ provide: SETTINGS, useFactory: () => ({ emu }) }], exports: [SETTINGS] })
    class SettingsModule {}

    @Injectable()
    class CashlinkConfig {
      createCashlinkOptions(): CashlinkModuleOptions {
        return clientOptions(emu);
      }
    }

    @Module({ providers: [CashlinkConfig], exports: [CashlinkConfig] })
    class CashlinkConfigModule {}

    it('useFactory with imports and inject', async () => {
      const app = await boot([
        CashlinkModule.forRootAsync({
          imports: [SettingsModule],
          inject: [SETTINGS],
          useFactory: async (settings: { emu: CashlinkEmulator }) => clientOptions(settings.emu),
          persistence: false,
        }),
      ]);
      try {
        await callsCashlink(app);
      } finally {
        await app.close();
      }
    });

    it('useClass', async () => {
      const app = await boot([CashlinkModule.forRootAsync({ useClass: CashlinkConfig, persistence: false })]);
      try {
        await callsCashlink(app);
      } finally {
        await app.close();
      }
    });

    it('useExisting', async () => {
      const app = await boot([
        CashlinkModule.forRootAsync({
          imports: [CashlinkConfigModule],
          useExisting: CashlinkConfig,
          persistence: false,
        }),
      ]);
      try {
        await callsCashlink(app);
      } finally {
        await app.close();
      }
    });
  });

  it('exports only the public services: the options, transport and write seam stay internal', async () => {
    @Injectable()
    class UsesPublic {
      constructor(readonly investors: CashlinkInvestorsService) {}
    }
    const withProvider = (provider: unknown) =>
      boot([CashlinkModule.forRoot({ ...clientOptions(emu), isGlobal: true, persistence: false }), provider]);

    @Module({ providers: [UsesPublic] })
    class PublicConsumer {}
    await (await withProvider(PublicConsumer)).close();

    for (const token of [CASHLINK_OPTIONS, CashlinkHttpClient, CashlinkWriteExecutor]) {
      @Module({ providers: [{ provide: 'consumer', useFactory: (x: unknown) => x, inject: [token] }] })
      class InternalConsumer {}
      await expect(withProvider(InternalConsumer)).rejects.toThrow(/can't resolve dependencies/i);
    }
    // Nor does the package entry offer them.
    const entry = (await import('nestjs-cashlink')) as Record<string, unknown>;
    for (const name of [
      'CASHLINK_OPTIONS',
      'CASHLINK_OPTION_DEFAULTS',
      'CashlinkHttpClient',
      'CashlinkTokenClient',
    ])
      expect(entry[name]).toBeUndefined();
  });

  it('isGlobal: feature modules inject the services without importing the module', async () => {
    @Injectable()
    class Reporter {
      constructor(readonly investments: CashlinkInvestmentsService) {}
    }
    @Module({ providers: [Reporter], exports: [Reporter] })
    class FeatureModule {}

    const app = await boot([
      CashlinkModule.forRoot({ ...clientOptions(emu), isGlobal: true, persistence: false }),
      FeatureModule,
    ]);
    try {
      const page = await app.get(Reporter).investments.list();
      expect(page.count).toBe(0);
    } finally {
      await app.close();
    }
  });

  it('a bad configuration fails start-up with one message naming every problem, never the secret', async () => {
    const secret = 'prod-secret-do-not-log';
    const attempt = boot([
      CashlinkModule.forRoot({
        baseUrl: 'ftp://example.com',
        clientId: '',
        clientSecret: secret,
        http: { timeoutMs: 0 },
        persistence: false,
      } as CashlinkModuleOptions & { persistence: false }),
    ]);
    const error = await attempt.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CashlinkConfigError);
    const message = (error as Error).message;
    for (const option of ['baseUrl', 'tokenUrl', 'clientId', 'http.timeoutMs'])
      expect(message).toContain(`- ${option}:`);
    expect(message).not.toContain(secret);
  });

  it('a bad configuration from forRootAsync fails a real application start', async () => {
    @Module({
      imports: [
        CashlinkModule.forRootAsync({
          useFactory: () => ({ environment: 'staging' }) as unknown as CashlinkModuleOptions,
          persistence: false,
        }),
      ],
    })
    class BrokenApp {}
    const error = await NestFactory.createApplicationContext(BrokenApp, {
      logger: false,
      abortOnError: false,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CashlinkConfigError);
    expect((error as CashlinkConfigError).problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^environment:/),
        expect.stringMatching(/^clientId:/),
        expect.stringMatching(/^clientSecret:/),
      ]),
    );
  });

  describe('with persistence (default) on a SQLite DataSource', () => {
    let db: TestDatabase;
    beforeAll(async () => {
      db = await createTestDatabase('sqlite');
    });
    afterAll(async () => {
      await db.drop();
    });

    it('binds writes to the durable executor when idempotency is enabled', async () => {
      const app = await boot([
        EventEmitterModule.forRoot(),
        TypeOrmModule.forRoot({ ...db.options, synchronize: true, autoLoadEntities: true }),
        CashlinkModule.forRoot(clientOptions(emu, { idempotency: {} })),
      ]);
      try {
        const executor = app.get(CashlinkWriteExecutor);
        expect(executor).not.toBeInstanceOf(DirectWriteExecutor);
        expect(executor).toBe(app.get(CASHLINK_DURABLE_WRITE_EXECUTOR));
        const investor = await app
          .get(CashlinkInvestorsService)
          .create(exampleInvestorInput() as CashlinkInvestorCreate, { idempotencyKey: 'durable-1' });
        expect(emu.investors().map((i) => i.id)).toEqual([investor.id]);
      } finally {
        await app.close();
      }
    });

    it('registers its entities on the host DataSource and still calls Cashlink', async () => {
      const app = await boot([
        EventEmitterModule.forRoot(),
        TypeOrmModule.forRoot({ ...db.options, synchronize: true, autoLoadEntities: true }),
        CashlinkModule.forRoot(clientOptions(emu)),
      ]);
      try {
        await callsCashlink(app);
      } finally {
        await app.close();
      }
    });
  });
});
