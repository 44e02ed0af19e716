// Encryption at rest, key rotation and erasure, on real SQLite and PostgreSQL databases through the module.
import type { INestApplicationContext, LoggerService } from '@nestjs/common';
import { logKey } from '../../libs/cashlink/src/common/log-key';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import {
  CashlinkConfigError,
  CashlinkDataProtectionService,
  CashlinkDecryptionError,
  CashlinkDocumentsService,
  CashlinkIntentErasedError,
  CashlinkIntentsService,
  CashlinkInvestmentsService,
  CashlinkInvestorsService,
  type CashlinkEncryptionOptions,
} from 'nestjs-cashlink';
import {
  type CashlinkEmulator,
  EMULATOR_CAMPAIGN_ID,
  exampleIdentificationInput,
  exampleInvestorInput,
  startCashlinkEmulator,
  testEncryptionKeys,
} from 'nestjs-cashlink/testing';
import { ProtectionCodec } from '../../libs/cashlink/src/protection/protection-codec';
import { WebhookInboxStore } from '../../libs/cashlink/src/webhooks/webhook-inbox.store';
import { createTestDatabase, describeEachDatabase, type TestDatabase } from '../support/databases';
import { NestFactory } from '@nestjs/core';
import { durableAppModule, FAST_IDEMPOTENCY } from '../idempotency/support/durable-app';

jest.setTimeout(60_000);

/** What must never be found in clear in the library's tables. */
const SECRETS = ['Mustermann', 'erika@example.com', 'DE89370400440532013000', 'L01X00T47', 'SCAN-OF-ID-CARD'];

/** Every row of every `cashlink_*` table, as text. */
async function dumpCashlinkTables(dataSource: DataSource): Promise<string> {
  const tables: { name: string }[] =
    dataSource.options.type === 'postgres'
      ? await dataSource.query(
          `SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' AND table_name LIKE 'cashlink%'`,
        )
      : await dataSource.query(
          `SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'cashlink%'`,
        );
  expect(tables.map((t) => t.name)).toEqual(
    expect.arrayContaining(['cashlink_intents', 'cashlink_webhook_inbox']),
  );
  const parts: string[] = [];
  for (const { name } of tables)
    parts.push(JSON.stringify(await dataSource.query(`SELECT * FROM "${name}"`)));
  return parts.join('\n');
}

function investmentInput(investorId: string) {
  return {
    investor_id: investorId,
    campaign_id: EMULATOR_CAMPAIGN_ID,
    units: 1,
    signed_at: '2026-11-24T10:00:00.000Z',
  };
}

describeEachDatabase('personal data protection', (kind) => {
  let emu: CashlinkEmulator;
  let db: TestDatabase;
  const apps: INestApplicationContext[] = [];

  async function start(
    encryption: CashlinkEncryptionOptions | false | null = testEncryptionKeys(),
    logger: LoggerService | false = false,
  ) {
    const module = durableAppModule({
      database: db.options,
      baseUrl: emu.baseUrl,
      tokenUrl: emu.tokenUrl,
      clientId: emu.clientId,
      clientSecret: emu.clientSecret,
      idempotency: { ...FAST_IDEMPOTENCY, recovery: false },
      maxRetries: 0,
      encryption,
    });
    // abortOnError: false, so that a refused start is an error here rather than process.exit.
    const app = await NestFactory.createApplicationContext(module, { logger, abortOnError: false });
    try {
      await app.init();
    } catch (error) {
      await app.close();
      throw error;
    }
    apps.push(app);
    return {
      app,
      investors: app.get(CashlinkInvestorsService),
      investments: app.get(CashlinkInvestmentsService),
      documents: app.get(CashlinkDocumentsService),
      intents: app.get(CashlinkIntentsService),
      protection: app.get(CashlinkDataProtectionService),
      dataSource: app.get<DataSource>(getDataSourceToken()),
      close: async () => {
        apps.splice(apps.indexOf(app), 1);
        await app.close();
      },
    };
  }

  beforeEach(async () => {
    emu = await startCashlinkEmulator();
    db = await createTestDatabase(kind);
  });
  afterEach(async () => {
    for (const app of apps.splice(0)) await app.close();
    await emu.close();
    await db.drop();
  });

  it('stores requests, answers, errors, documents and quarantined bodies encrypted; reads them back', async () => {
    const h = await start();
    const investor = await h.investors.create(exampleInvestorInput() as never, { idempotencyKey: 'inv-1' });
    const doc = await h.documents.upload(Buffer.from('SCAN-OF-ID-CARD Erika Mustermann'), {
      filename: 'id.pdf',
      contentType: 'application/pdf',
    });
    await h.investors.createIdentification(
      investor.id,
      { ...exampleIdentificationInput(), legitimation_protocol_id: doc.id } as never,
      { idempotencyKey: 'ident-1' },
    );
    await h.investments.create(investmentInput(investor.id), { idempotencyKey: 'invest-1' });
    // A 400 whose stored error holds the submitted values.
    const bad = {
      ...exampleInvestorInput(),
      communication: { email: 'erika@example.com' },
      is_beneficiary: 'Mustermann',
    };
    await expect(h.investors.create(bad as never, { idempotencyKey: 'inv-bad' })).rejects.toThrow();
    const codec = h.app.get(ProtectionCodec);
    const inbox = new WebhookInboxStore(h.dataSource, codec);
    const quarantined = await inbox.insertQuarantined(
      '{"name":"Erika Mustermann","email":"erika@example.com"}',
    );

    const dump = await dumpCashlinkTables(h.dataSource);
    for (const secret of SECRETS) expect(dump).not.toContain(secret);
    expect(dump).not.toContain(Buffer.from('SCAN-OF-ID-CARD').toString('base64').slice(0, 16));

    // Read back in clear, above the store.
    expect((await inbox.find(quarantined.id))?.rawBody).toContain('Erika Mustermann');
    const before = emu.requests().length;
    const again = await h.investors.create(exampleInvestorInput() as never, { idempotencyKey: 'inv-1' });
    expect(again.id).toBe(investor.id);
    expect(emu.requests().length).toBe(before);
    const view = await h.intents.find('inv-1');
    expect(JSON.stringify(view)).toContain('Mustermann');
  });

  it('a value copied to another row does not decrypt', async () => {
    const h = await start();
    const investor = await h.investors.create(exampleInvestorInput() as never, { idempotencyKey: 'a' });
    await h.investments.create(investmentInput(investor.id), { idempotencyKey: 'b' });
    const p = (n: number) => (kind === 'postgres' ? `$${n}` : '?');
    const [row]: { request_body: string }[] = await h.dataSource.query(
      `SELECT "request_body" FROM "cashlink_intents" WHERE "idempotency_key" = ${p(1)}`,
      ['a'],
    );
    await h.dataSource.query(
      `UPDATE "cashlink_intents" SET "request_body" = ${p(1)} WHERE "idempotency_key" = ${p(2)}`,
      [row!.request_body, 'b'],
    );
    await expect(h.intents.find('b')).rejects.toBeInstanceOf(CashlinkDecryptionError);
    await expect(h.intents.find('a')).resolves.toMatchObject({ key: 'a' });
  });

  it('rotation: written under k1, rotated to k2, re-encrypted, k1 removed: every key still answers from the store', async () => {
    let h = await start(testEncryptionKeys('k1'));
    const investor = await h.investors.create(exampleInvestorInput() as never, { idempotencyKey: 'r-inv' });
    await h.investments.create(investmentInput(investor.id), { idempotencyKey: 'r-1' });
    await expect(
      h.investors.create({ is_beneficiary: 'x' } as never, { idempotencyKey: 'r-bad' }),
    ).rejects.toThrow();
    const inbox1 = new WebhookInboxStore(h.dataSource, h.app.get(ProtectionCodec));
    const q = await inbox1.insertQuarantined('{"who":"Erika Mustermann"}');
    await h.close();

    // k2 active, k1 still in the ring: new values under k2, old ones readable.
    h = await start(testEncryptionKeys('k2', 'k1'));
    await h.investments.create(investmentInput(investor.id), { idempotencyKey: 'r-2' });
    const summary = await h.protection.reencrypt({ batchSize: 2 });
    expect(summary.intents).toBe(3);
    expect(summary.webhooks).toBe(1);
    expect(summary.retiredKeyIds).toEqual(['k1']);
    const dump = await dumpCashlinkTables(h.dataSource);
    expect(dump).not.toContain('cl1:k1:');
    expect(dump).toContain('cl1:k2:');
    await h.close();

    // k1 gone from the ring: starts, and every key answers from the store with no request.
    h = await start(testEncryptionKeys('k2'));
    const before = emu.requests().length;
    await expect(
      h.investors.create(exampleInvestorInput() as never, { idempotencyKey: 'r-inv' }),
    ).resolves.toMatchObject({
      id: investor.id,
    });
    for (const key of ['r-1', 'r-2']) {
      await h.investments.create(investmentInput(investor.id), { idempotencyKey: key });
    }
    await expect(
      h.investors.create({ is_beneficiary: 'x' } as never, { idempotencyKey: 'r-bad' }),
    ).rejects.toMatchObject({
      status: 400,
    });
    expect(emu.requests().length).toBe(before);
    const inbox2 = new WebhookInboxStore(h.dataSource, h.app.get(ProtectionCodec));
    expect((await inbox2.find(q.id))?.rawBody).toContain('Erika');
    await h.close();

    // A ring without the key the rows use refuses to start, naming the id.
    await expect(start(testEncryptionKeys('k3'))).rejects.toThrow(CashlinkConfigError);
    await expect(start(testEncryptionKeys('k3'))).rejects.toThrow(/"k2"/);
  });

  it('erasure: erased keys are never sent again (typed error, no request), other rows untouched', async () => {
    const h = await start();
    const erika = await h.investors.create(exampleInvestorInput() as never, { idempotencyKey: 'e-inv' });
    const doc = await h.documents.upload(
      Buffer.from('SCAN-OF-ID-CARD'),
      { filename: 'id.pdf', contentType: 'application/pdf' },
      { idempotencyKey: 'e-doc' },
    );
    await h.investors.createIdentification(
      erika.id,
      { ...exampleIdentificationInput(), legitimation_protocol_id: doc.id } as never,
      { idempotencyKey: 'e-ident' },
    );
    await h.investments.create(investmentInput(erika.id), { idempotencyKey: 'e-1' });
    const other = await h.investors.create(
      {
        ...exampleInvestorInput(),
        communication: { email: 'max@example.com', email_confirmed: true },
      } as never,
      { idempotencyKey: 'o-inv' },
    );
    await h.investments.create(investmentInput(other.id), { idempotencyKey: 'o-1' });
    // A pending intent (Cashlink failed): erased before it is retried.
    emu.injectFault({ route: 'POST /v2/investments/', kind: 'server_error', status: 503, count: 1 });
    await expect(
      h.investments.create(investmentInput(erika.id), { idempotencyKey: 'e-pending' }),
    ).rejects.toThrow();
    expect((await h.intents.find('e-pending'))?.state).toBe('pending');

    const erased = await h.protection.eraseInvestor(erika.id);
    expect(erased.sort()).toEqual(['e-1', 'e-doc', 'e-ident', 'e-inv', 'e-pending']);

    const dump = await dumpCashlinkTables(h.dataSource);
    expect(await h.intents.find('e-pending')).toMatchObject({ state: 'expired' });
    const before = emu.requests().length;
    await h.intents.resumeDue();
    for (const key of ['e-inv', 'e-1', 'e-pending']) {
      const input = key === 'e-inv' ? exampleInvestorInput() : investmentInput(erika.id);
      const call =
        key === 'e-inv'
          ? h.investors.create(input as never, { idempotencyKey: key })
          : h.investments.create(input as never, { idempotencyKey: key });
      await expect(call).rejects.toBeInstanceOf(CashlinkIntentErasedError);
    }
    expect(emu.requests().length).toBe(before);
    // The other investor's rows are untouched and still answer from the store.
    await expect(
      h.investments.create(investmentInput(other.id), { idempotencyKey: 'o-1' }),
    ).resolves.toMatchObject({
      investor_id: other.id,
    });
    expect(emu.requests().length).toBe(before);
    expect(dump).toContain('o-1');
    const kept = await h.intents.find('o-inv');
    expect(JSON.stringify(kept)).toContain('max@example.com');
    // Erasing by key: the caller's own key.
    await expect(h.protection.eraseIntent('o-1')).resolves.toBe(true);
    await expect(h.protection.eraseIntent('nope')).resolves.toBe(false);
  });

  it('shows idempotency keys in log lines only as a short hash', async () => {
    const lines: string[] = [];
    const capture = (...args: unknown[]): void => void lines.push(args.map(String).join(' '));
    const h = await start(testEncryptionKeys(), {
      log: capture,
      warn: capture,
      error: capture,
      debug: capture,
      verbose: capture,
    });
    const investor = await h.investors.create(exampleInvestorInput() as never, { idempotencyKey: 'inv-x' });
    emu.injectFault({ route: 'POST /v2/investments/', kind: 'server_error', status: 503, count: 1 });
    await expect(
      h.investments.create(investmentInput(investor.id), { idempotencyKey: 'erika@example.com' }),
    ).rejects.toThrow();
    expect(lines.join('\n')).toContain(logKey('erika@example.com'));
    expect(lines.join('\n')).not.toContain('erika@');
  });

  it('encryption: false stores in clear (the scan sees it); turned on later, reencrypt() seals the old rows', async () => {
    const h = await start(false);
    await h.investors.create(exampleInvestorInput() as never, { idempotencyKey: 'clear' });
    expect(await dumpCashlinkTables(h.dataSource)).toContain('Mustermann');
    await h.close();
    // Encryption turned on later: the clear rows stay readable, and reencrypt() seals them.
    const sealed = await start(testEncryptionKeys());
    const before = emu.requests().length;
    await sealed.investors.create(exampleInvestorInput() as never, { idempotencyKey: 'clear' });
    expect(emu.requests().length).toBe(before);
    expect(await sealed.protection.reencrypt()).toMatchObject({ intents: 1, retiredKeyIds: [] });
    expect(await dumpCashlinkTables(sealed.dataSource)).not.toContain('Mustermann');
    await sealed.investors.create(exampleInvestorInput() as never, { idempotencyKey: 'clear' });
    expect(emu.requests().length).toBe(before);
  });
});

describeEachDatabase('personal data retention', (kind) => {
  it('erases the bodies of expired and failed intents and dead and quarantined webhook rows after 90 days; rows stay', async () => {
    const emu = await startCashlinkEmulator();
    const db = await createTestDatabase(kind);
    const app = await NestFactory.createApplicationContext(
      durableAppModule({
        database: db.options,
        baseUrl: emu.baseUrl,
        tokenUrl: emu.tokenUrl,
        clientId: emu.clientId,
        clientSecret: emu.clientSecret,
        idempotency: { ...FAST_IDEMPOTENCY, recovery: false, retentionMs: false },
        maxRetries: 0,
      }),
      { logger: false },
    );
    try {
      await app.init();
      const investors = app.get(CashlinkInvestorsService);
      const dataSource = app.get<DataSource>(getDataSourceToken());
      await investors.create(exampleInvestorInput() as never, { idempotencyKey: 'ok' });
      await expect(
        investors.create({ is_beneficiary: 'x' } as never, { idempotencyKey: 'old-failed' }),
      ).rejects.toThrow();
      await expect(
        investors.create({ is_beneficiary: 'y' } as never, { idempotencyKey: 'new-failed' }),
      ).rejects.toThrow();
      const inbox = new WebhookInboxStore(dataSource, app.get(ProtectionCodec));
      const day = 24 * 60 * 60 * 1000;
      const oldQ = await inbox.insertQuarantined('{"old":"Erika"}', Date.now() - 91 * day);
      const newQ = await inbox.insertQuarantined('{"new":"Erika"}');
      const p = (n: number) => (kind === 'postgres' ? `$${n}` : '?');
      await dataSource.query(
        `UPDATE "cashlink_intents" SET "settled_at" = ${p(1)} WHERE "idempotency_key" = ${p(2)}`,
        [Date.now() - 91 * day, 'old-failed'],
      );

      // A dead change (every dispatch failed) with its listener's error, received 91 days ago.
      const dead = await inbox.insertChange(
        { investmentId: 'inv-dead', status: 'ACCEPTED', changedAt: '2026-01-01T00:00:00.000000000Z' },
        Date.now() - 91 * day,
      );
      await dataSource.query(
        `UPDATE "cashlink_webhook_inbox" SET "state" = 'dead', "last_error" = 'Error: no customer erika@example.com' WHERE "id" = ${p(1)}`,
        [dead.id],
      );
      const summary = await app.get(CashlinkDataProtectionService).purgePersonalData();
      expect(summary).toEqual({ intents: 1, webhooks: 2 });
      expect(await inbox.find(dead.id)).toMatchObject({
        state: 'dead',
        lastError: null,
        investmentId: 'inv-dead',
      });
      const intents = app.get(CashlinkIntentsService);
      expect(await intents.find('old-failed')).toMatchObject({ state: 'failed' });
      const rows: { idempotency_key: string; request_body: string | null }[] = await dataSource.query(
        `SELECT "idempotency_key", "request_body" FROM "cashlink_intents" ORDER BY "idempotency_key"`,
      );
      expect(rows.map((r) => [r.idempotency_key, r.request_body === null])).toEqual([
        ['new-failed', false],
        ['ok', false],
        ['old-failed', true],
      ]);
      expect((await inbox.find(oldQ.id))?.rawBody).toBeNull();
      expect((await inbox.find(newQ.id))?.rawBody).toContain('Erika');
    } finally {
      await app.close();
      await emu.close();
      await db.drop();
    }
  });
});
