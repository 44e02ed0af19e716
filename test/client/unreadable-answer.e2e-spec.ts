import type { INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { TypeOrmModule } from '@nestjs/typeorm';
import {
  CashlinkApiError,
  CashlinkCampaignsService,
  CashlinkIntentsService,
  CashlinkInvestmentsService,
  CashlinkModule,
  CashlinkUnreadableAnswerError,
  type CashlinkInvestmentCreate,
} from 'nestjs-cashlink';
import { testEncryptionKeys } from 'nestjs-cashlink/testing';
import { createTestDatabase, describeEachDatabase, type TestDatabase } from '../support/databases';
import { startHtmlAnsweringServer, type HtmlAnsweringServer } from '../support/html-answering-server';

describe('a 2xx answer whose body is not JSON', () => {
  let server: HtmlAnsweringServer;
  let app: INestApplicationContext;
  beforeAll(async () => {
    server = await startHtmlAnsweringServer();
    const moduleRef = await Test.createTestingModule({
      imports: [
        CashlinkModule.forRoot({
          baseUrl: server.origin,
          tokenUrl: `${server.origin}/oauth/token`,
          clientId: 'id',
          clientSecret: 'secret',
          idempotency: false,
          persistence: false,
          http: { maxRetries: 3, retryBaseDelayMs: 5, retryMaxDelayMs: 20 },
        }),
      ],
    }).compile();
    app = await moduleRef.init();
  });
  afterAll(async () => {
    await app.close();
    await server.close();
  });
  beforeEach(() => server.apiRequests.splice(0));

  it('on a write: CashlinkUnreadableAnswerError saying it was accepted; sent once, never retried', async () => {
    const input = { product_id: 'p', investor_id: 'i' } as unknown as CashlinkInvestmentCreate;
    const error = await app
      .get(CashlinkInvestmentsService)
      .create(input, { idempotencyKey: 'order-77' })
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(CashlinkUnreadableAnswerError);
    // Code that sorts API errors by status sees a 2xx, never a definitive 4xx.
    expect(error).toBeInstanceOf(CashlinkApiError);
    const unreadable = error as CashlinkUnreadableAnswerError;
    expect(unreadable.status).toBe(201);
    expect(unreadable.idempotencyKey).toBe('order-77');
    expect(unreadable.message).toMatch(/accepted the request: do not resend it with a new idempotency key/);
    expect(unreadable.message).toContain('same key order-77');
    expect(server.apiRequests).toEqual([{ method: 'POST', url: '/v2/investments/', key: 'order-77' }]);
  });

  it('on a GET: the same error class, saying a repeat is safe', async () => {
    const error = await app
      .get(CashlinkCampaignsService)
      .list()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CashlinkUnreadableAnswerError);
    expect((error as CashlinkUnreadableAnswerError).message).toMatch(/repeating the request is safe/);
    expect(server.apiRequests).toHaveLength(1);
  });
});

describeEachDatabase('a 2xx answer whose body is not JSON, with durable idempotency', (kind) => {
  let server: HtmlAnsweringServer;
  let db: TestDatabase;
  let app: INestApplicationContext;
  beforeAll(async () => {
    server = await startHtmlAnsweringServer();
    db = await createTestDatabase(kind);
    const moduleRef = await Test.createTestingModule({
      imports: [
        EventEmitterModule.forRoot(),
        TypeOrmModule.forRoot({ ...db.options, synchronize: true, autoLoadEntities: true }),
        CashlinkModule.forRoot({
          baseUrl: server.origin,
          tokenUrl: `${server.origin}/oauth/token`,
          clientId: 'id',
          clientSecret: 'secret',
          idempotency: { recovery: false },
          encryption: testEncryptionKeys(),
          http: { maxRetries: 3, retryBaseDelayMs: 5, retryMaxDelayMs: 20 },
        }),
      ],
    }).compile();
    app = await moduleRef.init();
  });
  afterAll(async () => {
    await app.close();
    await server.close();
    await db.drop();
  });

  it('the intent is not failed (a new key would duplicate): the accepted write is kept under its key', async () => {
    const input = { product_id: 'p', investor_id: 'i' } as unknown as CashlinkInvestmentCreate;
    const outcome = await app
      .get(CashlinkInvestmentsService)
      .create(input, { idempotencyKey: 'order-88' })
      .catch((e: unknown) => e);
    if (outcome instanceof Error) expect(outcome).toBeInstanceOf(CashlinkUnreadableAnswerError);

    const intent = await app.get(CashlinkIntentsService).find('order-88');
    expect(intent).not.toBeNull();
    expect(intent!.state).not.toBe('failed');
    expect(server.apiRequests.length).toBeGreaterThanOrEqual(1);
    expect(new Set(server.apiRequests.map((r) => r.key))).toEqual(new Set(['order-88']));
  });
});
