import { randomUUID } from 'node:crypto';
import { WebhookInboxStore } from '../../libs/cashlink/src/webhooks/webhook-inbox.store';
import { normaliseChangedAt } from '../../libs/cashlink/src/webhooks/webhook-status-change';
import { describeEachDatabase } from '../support/databases';
import { closeInboxDatabase, openInboxDatabase } from './support';

// Real processes, databases and HTTP on a shared CI machine: generous limits, never timed assertions.
jest.setTimeout(30_000);

const at = (iso: string) => normaliseChangedAt(iso)!;

describeEachDatabase('webhook inbox store', (kind) => {
  let handle: Awaited<ReturnType<typeof openInboxDatabase>> | undefined;
  let store: WebhookInboxStore;

  beforeAll(async () => {
    handle = await openInboxDatabase(kind);
    store = new WebhookInboxStore(handle.dataSource);
  });
  afterAll(() => closeInboxDatabase(handle));

  it('stores ten concurrent copies of one change as one row', async () => {
    const change = {
      investmentId: randomUUID(),
      status: 'ACCEPTED',
      changedAt: at('2026-01-01T10:00:00.123456Z'),
    };
    const results = await Promise.all(Array.from({ length: 10 }, () => store.insertChange(change)));
    expect(results.filter((r) => r.inserted)).toHaveLength(1);
    expect(new Set(results.map((r) => r.id)).size).toBe(1);
    expect(await store.list({ investmentId: change.investmentId })).toHaveLength(1);
  });

  it('treats the same instant written differently as the same change', async () => {
    const investmentId = randomUUID();
    const a = await store.insertChange({
      investmentId,
      status: 'PAID',
      changedAt: at('2026-01-01T12:00:00+02:00'),
    });
    const b = await store.insertChange({
      investmentId,
      status: 'PAID',
      changedAt: at('2026-01-01T10:00:00.000Z'),
    });
    expect(a.inserted).toBe(true);
    expect(b.inserted).toBe(false);
  });

  it('flags a change older than the latest one as stale and records the previous status', async () => {
    const investmentId = randomUUID();
    await store.insertChange({ investmentId, status: 'ACCEPTED', changedAt: at('2026-01-01T10:00:00Z') });
    await store.insertChange({ investmentId, status: 'DELIVERED', changedAt: at('2026-01-01T12:00:00Z') });
    const late = await store.insertChange({
      investmentId,
      status: 'PAID',
      changedAt: at('2026-01-01T11:00:00Z'),
    });
    const rows = await store.list({ investmentId });
    const byStatus = Object.fromEntries(rows.map((r) => [r.status, r]));
    expect(byStatus.ACCEPTED).toMatchObject({ stale: false, previousStatus: null });
    expect(byStatus.DELIVERED).toMatchObject({ stale: false, previousStatus: 'ACCEPTED' });
    expect(byStatus.PAID).toMatchObject({ id: late.id, stale: true, previousStatus: 'DELIVERED' });
  });

  it('claims each due row once across competing owners, and settles only with the lease', async () => {
    const investmentId = randomUUID();
    for (let i = 0; i < 30; i++) {
      await store.insertChange({
        investmentId,
        status: `S${i}`,
        changedAt: at(`2026-02-01T10:00:${String(i).padStart(2, '0')}Z`),
      });
    }
    const claims = await Promise.all(
      Array.from({ length: 6 }, (_, i) => store.claimDue(`owner-${i}`, 10, 60_000)),
    );
    const ids = claims.flat().map((r) => r.id);
    const mine = (await store.list({ investmentId })).map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of mine) expect(ids).toContain(id);
    expect(await store.claimDue('late', 100, 60_000)).toEqual([]);

    const owned = claims.flat()[0]!;
    expect(owned.attempts).toBe(1);
    expect(await store.markProcessed(owned.id, 'someone-else')).toBe(false);
    expect(await store.markProcessed(owned.id, owned.leaseOwner!)).toBe(true);
    expect((await store.find(owned.id))!.state).toBe('processed');
  });

  it('reclaims a row whose lease expired, retries with a delay, and redispatches dead rows', async () => {
    const investmentId = randomUUID();
    const { id } = await store.insertChange({
      investmentId,
      status: 'ACCEPTED',
      changedAt: at('2026-03-01T10:00:00Z'),
    });
    const now = Date.now() + 10 * 60_000; // far enough ahead that every earlier test row is due too
    const first = (await store.claimDue('a', 1000, 1000, now)).find((r) => r.id === id)!;
    expect(first).toBeDefined();
    expect((await store.claimDue('b', 1000, 1000, now + 500)).some((r) => r.id === id)).toBe(false);
    const second = (await store.claimDue('b', 1000, 1000, now + 1000)).find((r) => r.id === id)!;
    expect(second.attempts).toBe(2);
    expect(await store.markRetry(id, 'a', now, 'late owner')).toBe(false);
    expect(await store.markRetry(id, 'b', now + 5000, 'Error: boom')).toBe(true);
    expect((await store.claimDue('c', 1000, 1000, now + 4000)).some((r) => r.id === id)).toBe(false);
    await store.claimDue('c', 1000, 1000, now + 5000);
    expect(await store.markDead(id, 'c', 'Error: boom')).toBe(true);
    const dead = (await store.find(id))!;
    expect(dead).toMatchObject({ state: 'dead', attempts: 3, lastError: 'Error: boom', leaseOwner: null });
    expect(await store.redispatch({ id })).toBe(1);
    expect((await store.find(id))!).toMatchObject({ state: 'pending', attempts: 0 });
  });

  it("does not join another transaction on the app's connection: a rollback there loses no webhook", async () => {
    const runner = handle!.dataSource.createQueryRunner();
    await runner.startTransaction();
    await runner.query('SELECT 1');
    const change = { investmentId: randomUUID(), status: 'PAID', changedAt: at('2026-04-01T10:00:00Z') };
    const pending = store.insertChange(change);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await runner.rollbackTransaction();
    await runner.release();
    const result = await pending;
    expect(result.inserted).toBe(true);
    expect(await store.find(result.id)).toMatchObject({
      investmentId: change.investmentId,
      state: 'pending',
    });
  });

  it('claims rows whole: each claimed row equals the stored row, watermark included', async () => {
    const investmentId = randomUUID();
    await store.insertChange({ investmentId, status: 'ACCEPTED', changedAt: at('2026-06-01T10:00:00Z') });
    await store.insertChange({ investmentId, status: 'PAID', changedAt: at('2026-06-01T11:00:00.5Z') });
    const now = Date.now() + 30 * 60_000;
    const claimed = (await store.claimDue('whole', 1000, 60_000, now)).filter(
      (r) => r.investmentId === investmentId,
    );
    expect(claimed.map((r) => r.status)).toEqual(['ACCEPTED', 'PAID']);
    for (const row of claimed) expect({ ...row }).toEqual({ ...(await store.find(row.id)) });
    expect(claimed[1]).toMatchObject({
      previousStatus: 'ACCEPTED',
      stale: false,
      attempts: 1,
      leaseOwner: 'whole',
    });
  });

  it("redispatches outside the app's transaction: its rollback does not undo the redispatch", async () => {
    const { id } = await store.insertChange({
      investmentId: randomUUID(),
      status: 'SETTLED',
      changedAt: at('2026-05-01T10:00:00Z'),
    });
    const now = Date.now() + 20 * 60_000;
    await store.claimDue('x', 1000, 1000, now);
    expect(await store.markDead(id, 'x', 'Error: boom')).toBe(true);
    const runner = handle!.dataSource.createQueryRunner();
    await runner.startTransaction();
    await runner.query('SELECT 1');
    const pending = store.redispatch({ id });
    await new Promise((resolve) => setTimeout(resolve, 50));
    await runner.rollbackTransaction();
    await runner.release();
    expect(await pending).toBe(1);
    expect(await store.find(id)).toMatchObject({ state: 'pending', attempts: 0, lastError: 'Error: boom' });
  });

  it("keeps a quarantined body although another transaction on the app's connection rolls back", async () => {
    const runner = handle!.dataSource.createQueryRunner();
    await runner.startTransaction();
    await runner.query('SELECT 1');
    const body = `{"unexpected":"${randomUUID()}"}`;
    const pending = store.insertQuarantined(body);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await runner.rollbackTransaction();
    await runner.release();
    const result = await pending;
    expect(result.inserted).toBe(true);
    expect(await store.find(result.id)).toMatchObject({ state: 'quarantined', rawBody: body });
  });

  it("marks rows processed on their own: a rollback on the app's connection does not undo it", async () => {
    const { id } = await store.insertChange({
      investmentId: randomUUID(),
      status: 'ACCEPTED',
      changedAt: at('2026-04-02T10:00:00Z'),
    });
    const later = Date.now() + 20 * 60_000;
    expect((await store.claimDue('marker', 1000, 60_000, later)).some((r) => r.id === id)).toBe(true);
    const runner = handle!.dataSource.createQueryRunner();
    await runner.startTransaction();
    await runner.query('SELECT 1');
    const pending = store.markProcessedMany([id], 'marker');
    await new Promise((resolve) => setTimeout(resolve, 50));
    await runner.rollbackTransaction();
    await runner.release();
    expect(await pending).toBe(1);
    expect((await store.find(id))!.state).toBe('processed');
  });

  it('keeps a quarantined body once', async () => {
    const body = `{"unexpected":"${randomUUID()}"}`;
    const a = await store.insertQuarantined(body);
    const b = await store.insertQuarantined(body);
    expect(a.inserted).toBe(true);
    expect(b).toEqual({ inserted: false, id: a.id });
    expect((await store.find(a.id))!).toMatchObject({
      state: 'quarantined',
      rawBody: body,
      investmentId: null,
    });
  });
});
