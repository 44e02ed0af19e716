import { randomUUID } from 'node:crypto';
import { startCashlinkEmulator, type CashlinkEmulator } from 'nestjs-cashlink/testing';
import { createTestDatabase, describeEachDatabase, type TestDatabase } from '../support/databases';
import { startWebhooksTestApp, type WebhooksTestApp } from './fixtures/webhooks-test-app';
import { waitFor } from './support';

// Real processes, databases and HTTP on a shared CI machine: generous limits, never timed assertions.
jest.setTimeout(60_000);

const BEARER = 't'.repeat(48);
const CLIENT_ID = 'cashlink';
const CLIENT_SECRET = 'c'.repeat(48);

type AuthMode = 'bearer' | 'oauth2';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Distinct changes the emulator sent, keyed like the library's dedupe key. */
function distinctSent(emu: CashlinkEmulator): Set<string> {
  return new Set(
    emu
      .webhookDeliveries()
      .map(
        (d) =>
          `${d.payload.investment_id}|${d.payload.status}|${new Date(d.payload.changed_at).toISOString()}`,
      ),
  );
}

describeEachDatabase('webhooks end to end with the emulator', (kind) => {
  describe.each<AuthMode>(['bearer', 'oauth2'])('%s', (mode) => {
    let db: TestDatabase;
    let emu: CashlinkEmulator;
    let app: WebhooksTestApp;

    beforeAll(async () => {
      db = await createTestDatabase(kind);
      emu = await startCashlinkEmulator();
      app = await startWebhooksTestApp({
        db: db.options,
        cashlink: {
          baseUrl: emu.baseUrl,
          tokenUrl: emu.tokenUrl,
          clientId: emu.clientId,
          clientSecret: emu.clientSecret,
        },
        webhooks: {
          auth:
            mode === 'bearer'
              ? { type: 'bearer', tokens: [BEARER] }
              : { type: 'oauth2', clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, tokenTtlSeconds: 30 },
          dispatch: { intervalMs: 50, backoff: { initialDelayMs: 20, maxDelayMs: 100 } },
          fetchInvestment: true,
        },
      });
      emu.configureWebhooks({
        url: `${app.origin}/cashlink/webhooks`,
        auth:
          mode === 'bearer'
            ? { type: 'bearer', token: BEARER }
            : {
                type: 'oauth2',
                tokenUrl: `${app.origin}/cashlink/webhooks/oauth/token`,
                clientId: CLIENT_ID,
                clientSecret: CLIENT_SECRET,
              },
        retryInitialDelayMs: 20,
        retryMaxDelayMs: 200,
      });
    });
    afterAll(async () => {
      await app?.close();
      await emu?.close();
      await db?.drop();
    });

    it('delivers each change exactly once to the listeners, despite duplicates and reordering, and flags stale ones', async () => {
      const ids = emu.seedInvestments(6);
      // Duplicated deliveries, running concurrently; a second step only after the first was delivered.
      emu.duplicateWebhooks(6);
      for (let step = 0; step < 2; step++) {
        for (const id of ids.slice(0, 3)) emu.advanceInvestment(id);
        await emu.webhooksIdle(20_000);
        // Dispatched before the next step arrives: `stale` is decided at dispatch, against every change stored by then.
        await waitFor(() => app.recorder.changes.length >= 3 * (step + 1), 15_000, `step ${step} dispatched`);
        await sleep(3);
      }
      // Held, then delivered newest first: every older change arrives after a newer one.
      emu.holdWebhooks();
      const reordered = ids[3]!;
      for (let i = 0; i < 4; i++) {
        emu.advanceInvestment(reordered);
        await sleep(3);
      }
      emu.duplicateWebhooks(4);
      for (const id of ids.slice(4)) {
        emu.advanceInvestment(id);
        await sleep(3);
      }
      await emu.releaseWebhooks('reverse');
      await emu.webhooksIdle(20_000);

      const sent = distinctSent(emu);
      expect(sent.size).toBe(3 * 2 + 4 + 2);
      expect(emu.webhookDeliveries().length).toBeGreaterThan(sent.size); // duplicates were really sent
      expect(emu.webhookDeliveries().every((d) => d.responseStatus === 200)).toBe(true);

      await waitFor(() => app.recorder.changes.length >= sent.size, 15_000, 'every change dispatched');
      await app.webhooks.dispatchDue();
      const received = app.recorder.changes.map(
        (e) => `${e.investmentId}|${e.status}|${new Date(e.changedAt).toISOString()}`,
      );
      expect(received).toHaveLength(sent.size);
      expect(new Set(received)).toEqual(sent);

      // The reversed investment: the newest change came first (not stale), the three older ones after it
      // (stale). `previousStatus` is the latest earlier change stored when the event was dispatched:
      // the one just before it, or none yet (they arrive newest first).
      const ofReordered = app.recorder.changes
        .filter((e) => e.investmentId === reordered)
        .sort((a, b) => a.changedAt.localeCompare(b.changedAt));
      const newest = ofReordered[ofReordered.length - 1]!;
      expect(ofReordered.filter((e) => e.stale)).toHaveLength(3);
      expect(newest.stale).toBe(false);
      ofReordered.forEach((e, i) =>
        expect([null, ofReordered[i - 1]?.status ?? null]).toContain(e.previousStatus),
      );
      // In-order changes are not stale and know their predecessor.
      for (const id of ids.slice(0, 3)) {
        const events = app.recorder.changes
          .filter((e) => e.investmentId === id)
          .sort((a, b) => a.changedAt.localeCompare(b.changedAt));
        expect(events.map((e) => e.stale)).toEqual([false, false]);
        expect(events[1]!.previousStatus).toBe(events[0]!.status);
      }
      // fetchInvestment: the current investment, fetched through the client from the emulator.
      expect(
        app.recorder.changes.every(
          (e) => (e.investment as { id?: string } | undefined)?.id === e.investmentId,
        ),
      ).toBe(true);
      // Per-status events carry the same payloads.
      const review = app.recorder.changes
        .filter((e) => e.status === 'REVIEW_PENDING')
        .map((e) => e.inboxId)
        .sort();
      expect(
        app.recorder.perStatus
          .filter((p) => p.name === 'cashlink.investment.review_pending')
          .map((p) => p.event.inboxId)
          .sort(),
      ).toEqual(review);
      if (mode === 'oauth2') expect(emu.webhookDeliveries().some((d) => d.tokenFetched)).toBe(true);
    });

    it('retries, then marks dead, a change whose investment cannot be fetched', async () => {
      const unknown = randomUUID();
      const headers: Record<string, string> = { 'Content-Type': 'application/json' };
      if (mode === 'bearer') {
        headers.Authorization = `Bearer ${BEARER}`;
      } else {
        const token = await fetch(`${app.origin}/cashlink/webhooks/oauth/token`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({
            grant_type: 'client_credentials',
            client_id: CLIENT_ID,
            client_secret: CLIENT_SECRET,
          }).toString(),
        });
        headers.Authorization = `Bearer ${((await token.json()) as { access_token: string }).access_token}`;
      }
      const res = await fetch(`${app.origin}/cashlink/webhooks`, {
        method: 'POST',
        headers,
        body: JSON.stringify({
          investment_id: unknown,
          status: 'ACCEPTED',
          changed_at: new Date().toISOString(),
        }),
      });
      expect(res.status).toBe(200);
      await waitFor(
        () => app.recorder.dead.some((d) => d.investmentId === unknown),
        20_000,
        'dead after failed fetches',
      );
      const [row] = await app.webhooks.list({ investmentId: unknown });
      expect(row).toMatchObject({ state: 'dead', attempts: 8 });
      expect(row!.lastError).toMatch(/^CashlinkNotFoundError/);
      expect(app.recorder.changes.some((e) => e.investmentId === unknown)).toBe(false);
    });
  });
});
