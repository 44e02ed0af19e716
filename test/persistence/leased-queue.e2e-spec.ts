/**
 * The lease engine (`LeasedBatch`) on real databases, with the webhook inbox's claim, renewal and mark
 * statements: a heartbeat keeps a held lease alive past its nominal length, a holder that stops
 * heartbeating loses its rows to the next claimer once the lease runs out, and a mark that fails while
 * the database is unreachable is tried again while the lease is held.
 */
import { randomUUID } from 'node:crypto';
import { LeasedBatch } from '../../libs/cashlink/src/persistence/leased-queue';
import { WebhookInboxStore } from '../../libs/cashlink/src/webhooks/webhook-inbox.store';
import { normaliseChangedAt } from '../../libs/cashlink/src/webhooks/webhook-status-change';
import { describeEachDatabase } from '../support/databases';
import { closeInboxDatabase, openInboxDatabase } from '../webhooks/support';

// Real databases on a shared CI machine: generous limits; every wait is several leases long.
jest.setTimeout(60_000);

const LEASE_MS = 400;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describeEachDatabase('leased queue', (kind) => {
  let handle: Awaited<ReturnType<typeof openInboxDatabase>> | undefined;
  let store: WebhookInboxStore;
  const open: Array<LeasedBatch<string>> = [];

  beforeAll(async () => {
    handle = await openInboxDatabase(kind);
    store = new WebhookInboxStore(handle.dataSource);
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((batch) => batch.close()));
  });
  afterAll(() => closeInboxDatabase(handle));

  /** One due row, claimed by a fresh owner; answers its id, the owner and the claim time. */
  async function claimedRow(): Promise<{ id: string; owner: string; claimedAt: number }> {
    const { id } = await store.insertChange({
      investmentId: randomUUID(),
      status: 'ACCEPTED',
      changedAt: normaliseChangedAt('2026-07-01T10:00:00Z')!,
    });
    const owner = `holder-${randomUUID()}`;
    const claimedAt = Date.now();
    const rows = await store.claimDue(owner, 100, LEASE_MS, claimedAt);
    expect(rows.map((r) => r.id)).toContain(id);
    return { id, owner, claimedAt };
  }

  function hold(
    id: string,
    owner: string,
    claimedAt: number,
    stopping: () => boolean = () => false,
  ): LeasedBatch<string> {
    const batch = new LeasedBatch([id], claimedAt, {
      leaseMs: LEASE_MS,
      renew: async (ids, now) => (await store.renewLeases(ids, owner, LEASE_MS, now)).keys(),
      stopping,
    });
    open.push(batch);
    return batch;
  }

  /** Another instance's claims, one every 50 ms for `ms`: answers the ids it got. */
  async function claimerFor(ms: number): Promise<string[]> {
    const other = `claimer-${randomUUID()}`;
    const got: string[] = [];
    const until = Date.now() + ms;
    while (Date.now() < until) {
      got.push(...(await store.claimDue(other, 100, LEASE_MS)).map((r) => r.id));
      await sleep(50);
    }
    return got;
  }

  it('keeps a held lease alive with the heartbeat beyond its length: another claimer cannot take it', async () => {
    const { id, owner, claimedAt } = await claimedRow();
    const batch = hold(id, owner, claimedAt);
    const taken = await claimerFor(4 * LEASE_MS);
    expect(taken).not.toContain(id);
    expect(batch.holds(id)).toBe(true);
    expect(batch.lost(id)).toBe(false);
    expect((await store.find(id))?.leaseOwner).toBe(owner);
  });

  it('lets another claimer take over a lease whose holder stopped heartbeating, once it ran out', async () => {
    const { id, owner, claimedAt } = await claimedRow();
    const batch = hold(id, owner, claimedAt);
    await sleep(LEASE_MS); // renewed meanwhile: still held
    expect(batch.holds(id)).toBe(true);
    await batch.close(); // the holder stops heartbeating (a stalled or dead process)
    const taken = await claimerFor(3 * LEASE_MS);
    expect(taken).toContain(id);
    // The holder finds out at its next renewal: it must not start work on the row any more.
    await batch.heartbeat();
    expect(batch.lost(id)).toBe(true);
    expect(batch.holds(id)).toBe(false);
    expect(await store.markProcessedMany([id], owner)).toBe(0);
  });

  it('retries a mark that fails while the database is unreachable, while the lease is held', async () => {
    const { id, owner, claimedAt } = await claimedRow();
    const batch = hold(id, owner, claimedAt);
    let tries = 0;
    const marked = await batch.untilWritten(id, async () => {
      tries++;
      // The first tries meet a database that does not answer (as node-postgres or the driver reports it).
      if (tries <= 3)
        throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
      return store.markProcessedMany([id], owner);
    });
    expect(tries).toBe(4);
    expect(marked).toBe(1);
    expect((await store.find(id))?.state).toBe('processed');
  });

  it('gives a failing mark up once the lease and one lease more have passed, and at once at shutdown', async () => {
    const { id, owner, claimedAt } = await claimedRow();
    let stopping = false;
    const batch = hold(id, owner, claimedAt, () => stopping);
    await batch.close(); // no renewals: the lease ends LEASE_MS after the claim
    const outage = () => Promise.reject(new Error('database unreachable'));
    await expect(batch.untilWritten(id, outage)).rejects.toThrow('database unreachable');
    expect(Date.now()).toBeGreaterThan(claimedAt + 2 * LEASE_MS);
    stopping = true;
    const started = Date.now();
    await expect(batch.untilWritten(id, outage)).rejects.toThrow('database unreachable');
    expect(Date.now() - started).toBeLessThan(LEASE_MS);
    expect((await store.find(id))?.state).toBe('pending');
  });
});
