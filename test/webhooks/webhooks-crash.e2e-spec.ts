import { randomUUID } from 'node:crypto';
import { WebhookInboxEntity } from '../../libs/cashlink/src/webhooks/webhook-inbox.entity';
import { describeEachDatabase } from '../support/databases';
import { spawnWebhooksApp, type WebhooksAppProcess } from './fixtures/spawn-webhooks-app';
import { closeInboxDatabase, createReceivedTable, openInboxDatabase, waitFor } from './support';

// Real processes, databases and HTTP on a shared CI machine: generous limits, never timed assertions.
jest.setTimeout(120_000);

const TOKEN = 'k'.repeat(40);

async function deliver(origin: string, body: unknown): Promise<number> {
  const response = await fetch(`${origin}/cashlink/webhooks`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${TOKEN}` },
    body: JSON.stringify(body),
  });
  await response.arrayBuffer();
  return response.status;
}

describeEachDatabase('webhooks survive a SIGKILL', (kind) => {
  let handle: Awaited<ReturnType<typeof openInboxDatabase>> | undefined;
  const running: WebhooksAppProcess[] = [];

  beforeAll(async () => {
    handle = await openInboxDatabase(kind);
    await createReceivedTable(handle.dataSource);
  });
  afterEach(async () => {
    while (running.length) await running.pop()!.kill('SIGKILL');
  });
  afterAll(() => closeInboxDatabase(handle));

  const start = async (webhooks: Record<string, unknown>, extra: Record<string, unknown> = {}) => {
    const app = await spawnWebhooksApp({
      db: handle!.db.options,
      webhooks: { auth: { type: 'bearer', tokens: [TOKEN] }, ...webhooks },
      recordToTable: true,
      ...extra,
    });
    running.push(app);
    return app;
  };
  const received = async (investmentId: string) =>
    (await handle!.dataSource.query(
      `SELECT inbox_id FROM test_received WHERE investment_id = ${kind === 'postgres' ? '$1' : '?'}`,
      [investmentId],
    )) as Array<{ inbox_id: string }>;
  const row = (investmentId: string) =>
    handle!.dataSource.getRepository(WebhookInboxEntity).findOneByOrFail({ investmentId });

  it('dispatches after a restart a change that was answered 2xx but not dispatched before the kill', async () => {
    const change = { investment_id: randomUUID(), status: 'PAID', changed_at: new Date().toISOString() };
    // This instance receives only: the kill lands after the commit and the 2xx, before any dispatch.
    const first = await start({ dispatch: { enabled: false } });
    expect(await deliver(first.origin, change)).toBe(200);
    await first.kill('SIGKILL');
    running.pop();
    expect(await row(change.investment_id)).toMatchObject({ state: 'pending', attempts: 0 });
    expect(await received(change.investment_id)).toEqual([]);

    await start({ dispatch: { intervalMs: 50 } });
    await waitFor(
      async () => (await row(change.investment_id)).state === 'processed',
      30_000,
      'dispatch after restart',
    );
    expect(await received(change.investment_id)).toHaveLength(1);
  });

  it('dispatches again after the lease expires when the process died inside the listener', async () => {
    const change = { investment_id: randomUUID(), status: 'DELIVERED', changed_at: new Date().toISOString() };
    const first = await start({ dispatch: { intervalMs: 50, leaseMs: 1500 } }, { hangListener: true });
    expect(await deliver(first.origin, change)).toBe(200);
    await first.waitForLine(/^LISTENER_ENTERED /);
    await first.kill('SIGKILL');
    running.pop();
    const leased = await row(change.investment_id);
    expect(leased).toMatchObject({ state: 'pending', attempts: 1 });
    expect(leased.leaseOwner).not.toBeNull();

    await start({ dispatch: { intervalMs: 50, leaseMs: 1500 } });
    await waitFor(
      async () => (await row(change.investment_id)).state === 'processed',
      30_000,
      'dispatch after lease expiry',
    );
    expect(await received(change.investment_id)).toHaveLength(1);
    expect((await row(change.investment_id)).attempts).toBe(2);
  });
});
