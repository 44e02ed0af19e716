/**
 * The webhook inbox's group commit:
 * concurrent deliveries share one transaction, yet each change is stored exactly once, duplicates
 * answer with the stored row's id, the per-investment watermark stays exact, and one failing change
 * fails only itself.
 */
import { randomUUID } from 'node:crypto';
import { WebhookInboxStore } from '../../libs/cashlink/src/webhooks/webhook-inbox.store';
import { normaliseChangedAt } from '../../libs/cashlink/src/webhooks/webhook-status-change';
import { describeEachDatabase } from '../support/databases';
import { closeInboxDatabase, openInboxDatabase } from './support';

jest.setTimeout(30_000);

const at = (iso: string) => normaliseChangedAt(iso)!;

describeEachDatabase('webhook inbox group commit', (kind) => {
  let handle: Awaited<ReturnType<typeof openInboxDatabase>> | undefined;
  let store: WebhookInboxStore;

  beforeAll(async () => {
    handle = await openInboxDatabase(kind);
    store = new WebhookInboxStore(handle.dataSource);
  });
  afterAll(() => closeInboxDatabase(handle));

  it('stores 200 concurrent changes once each and answers duplicates with the stored id', async () => {
    const shared = randomUUID();
    const changes = Array.from({ length: 200 }, (_, i) => ({
      investmentId: i < 6 ? shared : randomUUID(),
      status: 'ACCEPTED',
      // The six changes of `shared` are three distinct changes, each delivered twice.
      changedAt: at(`2026-01-01T10:00:0${i % 3}Z`),
    }));
    const results = await Promise.all(changes.map((change) => store.insertChange(change)));

    expect(results.filter((r) => r.inserted)).toHaveLength(197);
    const rows = await store.list({ investmentId: shared });
    expect(rows).toHaveLength(3);
    const storedIds = new Set(rows.map((r) => r.id));
    for (const result of results.slice(0, 6)) expect(storedIds.has(result.id)).toBe(true);
    const count = (await handle!.dataSource.query(
      'SELECT COUNT(*) AS "n" FROM "cashlink_webhook_inbox"',
    )) as Array<{ n: string | number }>;
    expect(Number(count[0]!.n)).toBe(197);
  });

  it('computes the watermark of changes of one investment that arrive in one group', async () => {
    const investmentId = randomUUID();
    await store.insertChange({ investmentId, status: 'PAID', changedAt: at('2026-01-01T10:00:05Z') });
    const others = Array.from({ length: 30 }, () => ({
      investmentId: randomUUID(),
      status: 'ACCEPTED',
      changedAt: at('2026-01-01T09:00:00Z'),
    }));
    await Promise.all([
      ...others.map((change) => store.insertChange(change)),
      store.insertChange({ investmentId, status: 'ACCEPTED', changedAt: at('2026-01-01T10:00:00Z') }),
      store.insertChange({ investmentId, status: 'ACCEPTED', changedAt: at('2026-01-01T10:00:01Z') }),
      store.insertChange({ investmentId, status: 'DELIVERED', changedAt: at('2026-01-01T10:00:09Z') }),
    ]);
    const rows = await store.list({ investmentId });
    const byChangedAt = Object.fromEntries(rows.map((r) => [r.changedAt, r]));
    // Older than the stored PAID change: stale, whatever their order inside the group.
    expect(byChangedAt[at('2026-01-01T10:00:00Z')]?.stale).toBe(true);
    expect(byChangedAt[at('2026-01-01T10:00:01Z')]?.stale).toBe(true);
    // The newest change is not stale and follows the latest change before it (PAID).
    expect(byChangedAt[at('2026-01-01T10:00:09Z')]?.stale).toBe(false);
    expect(byChangedAt[at('2026-01-01T10:00:09Z')]?.previousStatus).toBe('PAID');
  });

  it('fails only the change that cannot be stored when a group rolls back', async () => {
    const good = Array.from({ length: 20 }, () => ({
      investmentId: randomUUID(),
      status: 'ACCEPTED',
      changedAt: at('2026-01-01T10:00:00Z'),
    }));
    // Longer than the column (varchar(64)): Postgres refuses it; SQLite does not enforce lengths.
    const bad = { investmentId: 'x'.repeat(80), status: 'ACCEPTED', changedAt: at('2026-01-01T10:00:00Z') };
    const results = await Promise.allSettled([...good, bad].map((change) => store.insertChange(change)));

    expect(results.slice(0, 20).every((r) => r.status === 'fulfilled' && r.value.inserted)).toBe(true);
    expect(results[20]!.status).toBe(kind === 'postgres' ? 'rejected' : 'fulfilled');
    for (const change of good)
      expect(await store.list({ investmentId: change.investmentId })).toHaveLength(1);
  });
});
