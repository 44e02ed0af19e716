import { randomUUID } from 'node:crypto';
import { WebhookInboxEntity } from '../../libs/cashlink/src/webhooks/webhook-inbox.entity';
import { describeEachDatabase } from '../support/databases';
import { spawnWebhooksApp, type WebhooksAppProcess } from './fixtures/spawn-webhooks-app';
import { closeInboxDatabase, createReceivedTable, openInboxDatabase, waitFor } from './support';

// Real processes, databases and HTTP on a shared CI machine: generous limits, never timed assertions.
jest.setTimeout(180_000);

const TOKEN = 'm'.repeat(40);
const CHANGES = 1000;
const DUPLICATES = 300;

/** Delivers like Cashlink: retried until a 2xx. */
async function deliver(origin: string, body: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      const response = await fetch(`${origin}/cashlink/webhooks`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${TOKEN}` },
        body,
      });
      await response.arrayBuffer();
      if (response.ok) return;
    } catch {
      // connection trouble: retried below
    }
    if (attempt >= 20) throw new Error('delivery kept failing');
    await new Promise((resolve) => setTimeout(resolve, 20 * attempt));
  }
}

describeEachDatabase('two app instances on one database', (kind) => {
  let handle: Awaited<ReturnType<typeof openInboxDatabase>> | undefined;
  const apps: WebhooksAppProcess[] = [];

  beforeAll(async () => {
    handle = await openInboxDatabase(kind);
    await createReceivedTable(handle.dataSource);
    const config = {
      db: handle.db.options,
      webhooks: {
        auth: { type: 'bearer' as const, tokens: [TOKEN] },
        dispatch: { intervalMs: 50, batchSize: 25, leaseMs: 30_000 },
      },
      recordToTable: true,
    };
    apps.push(...(await Promise.all([spawnWebhooksApp(config), spawnWebhooksApp(config)])));
  });
  afterAll(async () => {
    await Promise.all(apps.map((a) => a.kill('SIGTERM')));
    await closeInboxDatabase(handle);
  });

  it(`handles ${CHANGES} changes (with ${DUPLICATES} duplicates, sent to both) exactly once across both`, async () => {
    const investments = Array.from({ length: 100 }, () => randomUUID());
    const base = Date.parse('2026-05-01T00:00:00.000Z');
    const bodies = Array.from({ length: CHANGES }, (_, i) =>
      JSON.stringify({
        investment_id: investments[i % investments.length],
        status: ['REVIEW_PENDING', 'ACCEPTED', 'PAID'][i % 3],
        changed_at: new Date(base + i).toISOString(),
      }),
    );
    // Each body to one instance; its duplicate to the other one.
    const deliveries = bodies.map((body, i) => ({ body, app: apps[i % 2]! }));
    for (let i = 0; i < DUPLICATES; i++)
      deliveries.push({ body: bodies[i * 3]!, app: apps[(i * 3 + 1) % 2]! });
    deliveries.sort(() => Math.random() - 0.5);

    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < deliveries.length) {
          const d = deliveries[next++]!;
          await deliver(d.app.origin, d.body);
        }
      }),
    );

    const repo = handle!.dataSource.getRepository(WebhookInboxEntity);
    expect(await repo.count()).toBe(CHANGES);
    await waitFor(
      async () => (await repo.countBy({ state: 'processed' })) === CHANGES,
      60_000,
      'all processed',
    );
    const rows = (await handle!.dataSource.query('SELECT inbox_id, pid FROM test_received')) as Array<{
      inbox_id: string;
      pid: number;
    }>;
    expect(rows).toHaveLength(CHANGES);
    expect(new Set(rows.map((r) => r.inbox_id)).size).toBe(CHANGES);
    // Both instances dispatched (each was woken by the deliveries it received).
    expect(new Set(rows.map((r) => Number(r.pid))).size).toBe(2);
  });
});
