import type { INestApplicationContext } from '@nestjs/common';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import {
  CashlinkIntentsService,
  CashlinkInvestmentsService,
  CashlinkInvestorsService,
  CashlinkModule,
} from 'nestjs-cashlink';
import { startCashlinkEmulator, type CashlinkEmulator } from 'nestjs-cashlink/testing';
import { createTestDatabase, describeEachDatabase, type TestDatabase } from '../support/databases';
import { apiRequests, clientOptions } from './support/client-fixture';

/**
 * Percent-encoding leaves `.` and `..` as they are, and as a path segment they address another
 * resource (`/v2/investors/../` is the collection). With durable idempotency a write is recorded
 * before it is sent, so the id must be refused before the intent is written, not only by the transport.
 */
describeEachDatabase('ids that are dot segments', (kind) => {
  let emu: CashlinkEmulator;
  let db: TestDatabase;
  let app: INestApplicationContext;
  beforeAll(async () => {
    emu = await startCashlinkEmulator();
    db = await createTestDatabase(kind);
    const moduleRef = await Test.createTestingModule({
      imports: [
        EventEmitterModule.forRoot(),
        TypeOrmModule.forRoot({ ...db.options, synchronize: true, autoLoadEntities: true }),
        CashlinkModule.forRoot(clientOptions(emu, { idempotency: {} })),
      ],
    }).compile();
    app = await moduleRef.init();
  });
  afterAll(async () => {
    await app.close();
    await emu.close();
    await db.drop();
  });

  it.each(['.', '..', ''])(
    '%j: refused with a TypeError (a rejection), nothing recorded or sent',
    async (id) => {
      const investors = app.get(CashlinkInvestorsService);
      const calls: (() => Promise<unknown>)[] = [
        () => investors.update(id, { communication: { email: 'a@example.com' } } as never),
        () => investors.createIdentification(id, {} as never),
        () => investors.createWallet(id, { type: 'managed' }),
        () => investors.get(id),
        () => app.get(CashlinkInvestmentsService).get(id),
      ];
      for (const call of calls) {
        // A rejection, not a synchronous throw: `.catch` on the returned promise sees it.
        const error = await call().catch((e: unknown) => e);
        expect(error).toBeInstanceOf(TypeError);
        expect((error as Error).message).toMatch(/^(investor|investment) id must/);
      }
      expect(await app.get(CashlinkIntentsService).list()).toEqual([]);
      expect(apiRequests(emu)).toEqual([]);
    },
  );
});
