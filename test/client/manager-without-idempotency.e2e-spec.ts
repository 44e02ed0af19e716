import type { INestApplicationContext } from '@nestjs/common';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { Test } from '@nestjs/testing';
import { getDataSourceToken, TypeOrmModule } from '@nestjs/typeorm';
import {
  CashlinkConfigError,
  CashlinkInvestorsService,
  CashlinkModule,
  type CashlinkInvestorCreate,
  type CashlinkModuleOptions,
} from 'nestjs-cashlink';
import { exampleInvestorInput, startCashlinkEmulator, type CashlinkEmulator } from 'nestjs-cashlink/testing';
import { DataSource, type EntityManager } from 'typeorm';
import { createTestDatabase, describeEachDatabase, type TestDatabase } from '../support/databases';
import { apiRequests, clientOptions } from './support/client-fixture';

/**
 * `{ manager }` promises "Cashlink is called only after your commit". Without durable idempotency
 * nothing can keep that promise, so the write is refused (nothing sent) instead of going out before
 * the commit, where a rollback would leave an object at Cashlink with no business row.
 */
describeEachDatabase('a write given { manager } without durable idempotency', (kind) => {
  let emu: CashlinkEmulator;
  let db: TestDatabase;
  beforeAll(async () => {
    emu = await startCashlinkEmulator();
    db = await createTestDatabase(kind);
  });
  afterAll(async () => {
    await emu.close();
    await db.drop();
  });
  beforeEach(() => emu.reset());

  const investor = (): CashlinkInvestorCreate => exampleInvestorInput() as CashlinkInvestorCreate;

  async function refusedInTransaction(dataSource: DataSource, app: INestApplicationContext): Promise<void> {
    let sentBeforeCommit = -1;
    const error = await dataSource
      .transaction(async (manager: EntityManager) => {
        const outcome = await app
          .get(CashlinkInvestorsService)
          .create(investor(), { manager, idempotencyKey: 'customer-1' })
          .catch((e: unknown) => e);
        sentBeforeCommit = apiRequests(emu).length;
        return outcome;
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CashlinkConfigError);
    expect((error as Error).message).toMatch(/\{ manager \}, which needs durable idempotency/);
    expect((error as Error).message).toMatch(/after your transaction commits/);
    expect(sentBeforeCommit).toBe(0);
    expect(apiRequests(emu)).toHaveLength(0);
    expect(emu.investors()).toHaveLength(0);
  }

  it('idempotency: false (with persistence): refused with CashlinkConfigError, nothing sent', async () => {
    const options: CashlinkModuleOptions = clientOptions(emu, { idempotency: false });
    const moduleRef = await Test.createTestingModule({
      imports: [
        EventEmitterModule.forRoot(),
        TypeOrmModule.forRoot({ ...db.options, synchronize: true, autoLoadEntities: true }),
        CashlinkModule.forRoot(options),
      ],
    }).compile();
    const app = await moduleRef.init();
    try {
      await refusedInTransaction(app.get<DataSource>(getDataSourceToken()), app);
      // Without { manager } the same write goes out directly.
      await app.get(CashlinkInvestorsService).create(investor(), { idempotencyKey: 'customer-1' });
      expect(emu.investors()).toHaveLength(1);
    } finally {
      await app.close();
    }
  });

  it('persistence: false: refused with CashlinkConfigError, nothing sent', async () => {
    const dataSource = await new DataSource({ ...db.options }).initialize();
    const moduleRef = await Test.createTestingModule({
      imports: [CashlinkModule.forRoot({ ...clientOptions(emu), persistence: false })],
    }).compile();
    const app = await moduleRef.init();
    try {
      await refusedInTransaction(dataSource, app);
    } finally {
      await app.close();
      await dataSource.destroy();
    }
  });
});
