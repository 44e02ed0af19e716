/**
 * Durable document uploads: what a resend needs is kept (the bytes of a Buffer, a file path with its
 * hash), and an upload that cannot be resent expires instead of sending something else.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { CASHLINK_EVENTS, CashlinkServerError } from 'nestjs-cashlink';
import { CashlinkIntentStore } from '../../libs/cashlink/src/idempotency/cashlink-intent.store';
import { prepareWrite } from '../../libs/cashlink/src/idempotency/intent-request';
import { describeEachDatabase } from '../support/databases';
import { NO_WORKER, harness, useDurableTestState } from './support/durable-harness';

// Some cases wait out leases of a few seconds; the machine running them may be busy.
jest.setTimeout(60_000);

describeEachDatabase('durable writes: document uploads', (kind) => {
  const s = useDurableTestState(kind);

  describe('documents', () => {
    let dir: string;
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'cashlink-docs-'));
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it('keeps the bytes of a Buffer upload and resends them after a lost answer', async () => {
      s.h = await harness(kind, s.emu, s.db);
      const pdf = Buffer.from('%PDF-1.4 durable document\n');
      s.emu.injectFault({ route: 'POST /v2/documents/', kind: 'drop_after_work', count: 1 });
      await expect(
        s.h.documents.upload(
          pdf,
          { filename: 'a.pdf', contentType: 'application/pdf' },
          { idempotencyKey: 'doc-1' },
        ),
      ).rejects.toThrow();
      expect((await s.h.intents.find('doc-1'))?.request.document).toMatchObject({
        filename: 'a.pdf',
        size: pdf.length,
      });
      await new Promise((r) => setTimeout(r, 150));
      expect(await s.h.intents.resumeDue()).toMatchObject({ succeeded: 1 });
      expect(s.emu.documents()).toHaveLength(1);
      expect(s.emu.effectsByIdempotencyKey()['doc-1']).toBe(1);
    });

    it('keeps a file path with its hash; a changed file is not resent (expired with the reason)', async () => {
      s.h = await harness(kind, s.emu, s.db);
      const file = join(dir, 'contract.pdf');
      writeFileSync(file, '%PDF-1.4 original\n');
      s.emu.injectFault({ route: 'POST /v2/documents/', kind: 'server_error', status: 503, count: 1 });
      await expect(
        s.h.documents.upload(
          file,
          { filename: 'c.pdf', contentType: 'application/pdf' },
          { idempotencyKey: 'doc-2' },
        ),
      ).rejects.toBeInstanceOf(CashlinkServerError);
      writeFileSync(file, '%PDF-1.4 someone else\n');
      await new Promise((r) => setTimeout(r, 150));
      expect(await s.h.intents.resumeDue()).toMatchObject({ expired: 1 });
      const row = await s.h.intents.find('doc-2');
      expect(row?.state).toBe('expired');
      expect(row?.lastError?.reason).toMatch(/changed/);
      expect(s.emu.documents()).toHaveLength(0);
    });

    it('a stream larger than documentBytesLimit is sent once and recorded as not recoverable', async () => {
      s.h = await harness(kind, s.emu, s.db, { ...NO_WORKER, documentBytesLimit: 10 });
      const ok = await s.h.documents.upload(
        Readable.from([Buffer.from('%PDF-1.4 '), Buffer.from('streamed body\n')]),
        { filename: 's.pdf', contentType: 'application/pdf' },
        { idempotencyKey: 'doc-3' },
      );
      expect(ok.id).toBeDefined();
      expect(await s.h.intents.find('doc-3')).toMatchObject({
        state: 'succeeded',
        unrecoverableReason: expect.stringMatching(/stream larger/),
      });

      s.emu.injectFault({ route: 'POST /v2/documents/', kind: 'server_error', status: 503, count: 1 });
      await expect(
        s.h.documents.upload(
          Readable.from([Buffer.from('%PDF-1.4 another long stream\n')]),
          { filename: 't.pdf', contentType: 'application/pdf' },
          { idempotencyKey: 'doc-4' },
        ),
      ).rejects.toBeInstanceOf(CashlinkServerError);
      // Its only attempt failed and it cannot be resent: expired at once, for reconciliation.
      expect(await s.h.intents.find('doc-4')).toMatchObject({ state: 'expired' });
      expect(await s.h.intents.resumeDue()).toMatchObject({ claimed: 0 });
      expect(s.emu.documents()).toHaveLength(1);
    });

    it('recovery marks an upload that could not be kept as expired instead of sending anything', async () => {
      s.h = await harness(kind, s.emu, s.db, { ...NO_WORKER, documentBytesLimit: 4 });
      const prepared = await prepareWrite(
        {
          operation: 'documents.upload',
          method: 'POST',
          path: '/v2/documents/',
          multipart: {
            field: 'file',
            filename: 'big.pdf',
            contentType: 'application/pdf',
            source: { kind: 'stream', stream: Readable.from([Buffer.from('%PDF-1.4 too big to keep')]) },
          },
        },
        4,
      );
      expect(prepared.unrecoverableReason).not.toBeNull();
      // Recorded by a process that died before (or while) sending it.
      await s.h.app.get(CashlinkIntentStore).record(
        {
          key: 'doc-lost',
          operation: prepared.operation,
          method: prepared.method,
          path: prepared.path,
          requestBody: prepared.storedText,
          requestHash: prepared.hash,
          unrecoverableReason: prepared.unrecoverableReason,
        },
        Date.now(),
      );
      expect(await s.h.intents.resumeDue()).toMatchObject({ claimed: 1, expired: 1 });
      const row = await s.h.intents.find('doc-lost');
      expect(row).toMatchObject({
        state: 'expired',
        lastError: { reason: expect.stringMatching(/stream larger/) },
      });
      expect(s.emu.requests().filter((r) => r.route === 'POST /v2/documents/')).toHaveLength(0);
      expect(s.h.events.map((e) => [e.name, e.event.key])).toContainEqual([
        CASHLINK_EVENTS.intentExpired,
        'doc-lost',
      ]);
    });
  });
});
