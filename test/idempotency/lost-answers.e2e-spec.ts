// Lost answers: the emulator drops 30% of answers after doing the work, answers 10% with 503 and 5%
// with 429. 500 creates with their own keys must produce exactly 500 investments, one per key.
import type { INestApplicationContext } from '@nestjs/common';
import { CashlinkInvestmentsService, CashlinkInvestorsService } from 'nestjs-cashlink';
import {
  type CashlinkEmulator,
  EMULATOR_CAMPAIGN_ID,
  exampleInvestorInput,
  startCashlinkEmulator,
} from 'nestjs-cashlink/testing';
import { CashlinkIntentsService } from '../../libs/cashlink/src/idempotency/cashlink-intents.service';
import { createTestDatabase, describeEachDatabase, type TestDatabase } from '../support/databases';
import { FAST_IDEMPOTENCY, startDurableApp } from './support/durable-app';

const COUNT = 500;
const CALLERS = 25;

jest.setTimeout(120_000);

describeEachDatabase('lost answers', (kind) => {
  let emu: CashlinkEmulator;
  let db: TestDatabase;
  let app: INestApplicationContext | undefined;

  beforeEach(async () => {
    emu = await startCashlinkEmulator();
    db = await createTestDatabase(kind);
  });
  afterEach(async () => {
    await app?.close();
    await emu.close();
    await db.drop();
  });

  it(`${COUNT} creates through 30% dropped answers, 10% 503 and 5% 429 make exactly ${COUNT} investments`, async () => {
    app = await startDurableApp({
      database: db.options,
      baseUrl: emu.baseUrl,
      tokenUrl: emu.tokenUrl,
      clientId: emu.clientId,
      clientSecret: emu.clientSecret,
      maxRetries: 2,
      idempotency: FAST_IDEMPOTENCY,
    });
    const investor = await app
      .get(CashlinkInvestorsService)
      .create(exampleInvestorInput() as never, { idempotencyKey: 'lost-investor' });
    const investments = app.get(CashlinkInvestmentsService);
    const intents = app.get(CashlinkIntentsService);

    const route = 'POST /v2/investments/';
    // The emulator tries faults in order and the first that fires wins, so the later probabilities are
    // conditional: overall 30% dropped, 10% 503, 5% 429 of all requests.
    emu.injectFault({ route, kind: 'drop_after_work', probability: 0.3 });
    emu.injectFault({ route, kind: 'server_error', status: 503, probability: 0.1 / 0.7 });
    emu.injectFault({ route, kind: 'rate_limit', retryAfterSeconds: 0, probability: 0.05 / 0.6 });

    let answered = 0;
    let failedForCaller = 0;
    let next = 0;
    await Promise.all(
      Array.from({ length: CALLERS }, async () => {
        while (next < COUNT) {
          const key = `order-${next++}`;
          await investments
            .create(
              {
                investor_id: investor.id,
                campaign_id: EMULATOR_CAMPAIGN_ID,
                units: 1,
                signed_at: '2026-11-24T10:00:00.000Z',
              },
              { idempotencyKey: key },
            )
            .then(() => answered++)
            .catch(() => failedForCaller++);
        }
      }),
    );
    expect(answered + failedForCaller).toBe(COUNT);

    // The recovery worker (every 50 ms) finishes what the callers could not.
    const deadline = Date.now() + 60_000;
    while ((await intents.count()).pending > 0) {
      if (Date.now() > deadline) throw new Error(`still pending: ${JSON.stringify(await intents.count())}`);
      await new Promise((r) => setTimeout(r, 50));
    }

    const log = emu.requests().filter((r) => r.route === route);
    // The faults really happened (else this proves nothing).
    expect(log.filter((r) => r.status === 'dropped').length).toBeGreaterThan(COUNT * 0.15);
    expect(log.filter((r) => r.status === 503).length).toBeGreaterThan(0);
    expect(log.filter((r) => r.status === 429).length).toBeGreaterThan(0);

    expect(emu.investments()).toHaveLength(COUNT);
    const effects = emu.effectsByIdempotencyKey();
    const wrong = Array.from({ length: COUNT }, (_, i) => `order-${i}`).filter((k) => effects[k] !== 1);
    expect(wrong).toEqual([]);
    expect(await intents.count()).toEqual({
      pending: 0,
      succeeded: COUNT + 1,
      failed: 0,
      expired: 0,
      needs_review: 0,
      abandoned: 0,
      replaced: 0,
    });
  });
});
