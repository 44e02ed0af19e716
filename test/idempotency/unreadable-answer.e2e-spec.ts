// A 2xx whose body is not JSON (e.g. a proxy's HTML page after the request went through): Cashlink
// acted, so the intent must never be sent again; it is expired (needs reconciliation) at once.
import type { INestApplicationContext } from '@nestjs/common';
import {
  type CashlinkInvestmentCreate,
  CashlinkInvestmentsService,
  CashlinkUnreadableAnswerError,
} from 'nestjs-cashlink';
import { CashlinkIntentExpiredError } from '../../libs/cashlink/src/idempotency/cashlink-intent.error';
import { CashlinkIntentsService } from '../../libs/cashlink/src/idempotency/cashlink-intents.service';
import { createTestDatabase, describeEachDatabase, type TestDatabase } from '../support/databases';
import { startHtmlAnsweringServer, type HtmlAnsweringServer } from '../support/html-answering-server';
import { FAST_IDEMPOTENCY, startDurableApp } from './support/durable-app';

jest.setTimeout(60_000);

describeEachDatabase('durable writes: a 2xx answer that cannot be read', (kind) => {
  let server: HtmlAnsweringServer;
  let db: TestDatabase;
  let app: INestApplicationContext | undefined;

  beforeEach(async () => {
    server = await startHtmlAnsweringServer();
    db = await createTestDatabase(kind);
  });
  afterEach(async () => {
    await app?.close();
    app = undefined;
    await server.close();
    await db.drop();
  });

  it('settles the intent expired at once and never sends it again', async () => {
    app = await startDurableApp({
      database: db.options,
      baseUrl: server.origin,
      tokenUrl: `${server.origin}/oauth/token`,
      clientId: 'id',
      clientSecret: 'secret',
      idempotency: { ...FAST_IDEMPOTENCY, recovery: false },
      maxRetries: 3,
    });
    const investments = app.get(CashlinkInvestmentsService);
    const intents = app.get(CashlinkIntentsService);
    const input = { investor_id: 'i', campaign_id: 'c', units: 1 } as unknown as CashlinkInvestmentCreate;

    // The caller learns what happened: Cashlink accepted it, the answer is unreadable.
    await expect(investments.create(input, { idempotencyKey: 'html-1' })).rejects.toBeInstanceOf(
      CashlinkUnreadableAnswerError,
    );
    const intent = await intents.find('html-1');
    expect(intent).toMatchObject({
      state: 'expired',
      lastError: { className: 'CashlinkUnreadableAnswerError', status: 201 },
    });
    expect(intent?.lastError?.reason).toMatch(/accepted it \(HTTP 201\) but its answer could not be read/);

    // Past any backoff: recovery takes nothing, and repeats get the expiry without a request.
    await new Promise((r) => setTimeout(r, 300));
    expect(await intents.resumeDue()).toMatchObject({ claimed: 0 });
    await expect(investments.create(input, { idempotencyKey: 'html-1' })).rejects.toBeInstanceOf(
      CashlinkIntentExpiredError,
    );
    await expect(intents.execute('html-1')).rejects.toBeInstanceOf(CashlinkIntentExpiredError);
    expect(server.apiRequests).toEqual([{ method: 'POST', url: '/v2/investments/', key: 'html-1' }]);
  });
});
