/**
 * The dispatcher against a real database, without an app around it: the watermark (`stale`,
 * `previousStatus`) is decided when a row is dispatched, and a row whose lease ran out while earlier
 * rows of its batch were slow is never dispatched by two instances at once.
 */
import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { CASHLINK_EVENTS } from '../../libs/cashlink/src/events/cashlink-events.constants';
import type { InvestmentStatusChangedEvent } from '../../libs/cashlink/src/events/investment-status-changed.event';
import { WebhookDispatcher } from '../../libs/cashlink/src/webhooks/webhook-dispatcher.service';
import { WebhookInboxStore } from '../../libs/cashlink/src/webhooks/webhook-inbox.store';
import { normaliseChangedAt } from '../../libs/cashlink/src/webhooks/webhook-status-change';
import {
  resolveWebhooksOptions,
  type CashlinkWebhooksDispatchOptions,
  type CashlinkWebhooksOptions,
} from '../../libs/cashlink/src/webhooks/webhooks.options';
import { describeEachDatabase } from '../support/databases';
import { closeInboxDatabase, openInboxDatabase, waitFor } from './support';

// Real databases on a shared CI machine: generous limits, never timed assertions.
jest.setTimeout(60_000);

const at = (iso: string) => normaliseChangedAt(iso)!;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describeEachDatabase('webhook dispatcher', (kind) => {
  let handle: Awaited<ReturnType<typeof openInboxDatabase>> | undefined;
  let store: WebhookInboxStore;

  beforeAll(async () => {
    Logger.overrideLogger(false); // the retries and skipped leases below are expected
    handle = await openInboxDatabase(kind);
    store = new WebhookInboxStore(handle.dataSource);
  });
  afterAll(() => closeInboxDatabase(handle));

  /** A dispatcher with its own emitter; `listener` is its app's status-changed listener. */
  function dispatcher(
    dispatch: CashlinkWebhooksDispatchOptions,
    listener: (event: InvestmentStatusChangedEvent) => Promise<void> | void,
    extra: Pick<CashlinkWebhooksOptions, 'retentionMs'> = {},
  ): WebhookDispatcher {
    const problems: string[] = [];
    const options = resolveWebhooksOptions(
      {
        auth: { type: 'bearer', tokens: ['t'.repeat(40)] },
        dispatch: { enabled: false, ...dispatch },
        ...extra,
      },
      problems,
    );
    expect(problems).toEqual([]);
    const events = new EventEmitter2();
    events.on(CASHLINK_EVENTS.investmentStatusChanged, async (event: InvestmentStatusChangedEvent) =>
      listener(event),
    );
    return new WebhookDispatcher(store, events, options, null);
  }

  it('flags an older change retried after a newer one was processed as stale (decided at dispatch)', async () => {
    const investmentId = randomUUID();
    const seen: InvestmentStatusChangedEvent[] = [];
    let failOnce = true;
    // The retry is due well after DELIVERED is dispatched.
    const d = dispatcher({ backoff: { initialDelayMs: 3000, maxDelayMs: 3000 } }, (event) => {
      if (event.investmentId !== investmentId) return;
      if (event.status === 'ACCEPTED' && failOnce) {
        failOnce = false;
        throw new Error('listener down');
      }
      seen.push(event);
    });
    await store.insertChange({ investmentId, status: 'ACCEPTED', changedAt: at('2026-05-01T10:00:00Z') });
    await d.dispatchDue(); // ACCEPTED fails: retried later
    await store.insertChange({ investmentId, status: 'DELIVERED', changedAt: at('2026-05-01T12:00:00Z') });
    await waitFor(
      async () => {
        await d.dispatchDue();
        return seen.length === 2;
      },
      15_000,
      'both changes dispatched',
    );
    // The app applied DELIVERED first; the late retry of ACCEPTED must not roll it back.
    expect(seen.map((e) => [e.status, e.stale, e.previousStatus])).toEqual([
      ['DELIVERED', false, 'ACCEPTED'],
      ['ACCEPTED', true, null],
    ]);
    const rows = await store.list({ investmentId });
    expect(rows.find((r) => r.status === 'ACCEPTED')).toMatchObject({ state: 'processed', stale: true });
  });

  it('flags the older of two changes stored concurrently as stale, whatever was decided at insert', async () => {
    const investmentId = randomUUID();
    await store.insertChange({ investmentId, status: 'ACCEPTED', changedAt: at('2026-06-01T10:00:00Z') });
    await store.insertChange({ investmentId, status: 'PAID', changedAt: at('2026-06-01T11:00:00Z') });
    // What two racing inserts may leave: neither saw the other.
    await handle!.dataSource.query(
      `UPDATE "cashlink_webhook_inbox" SET "stale" = FALSE, "previous_status" = NULL WHERE "investment_id" = ${
        kind === 'postgres' ? '$1' : '?'
      }`,
      [investmentId],
    );
    const seen: InvestmentStatusChangedEvent[] = [];
    const d = dispatcher({}, (event) => {
      if (event.investmentId === investmentId) seen.push(event);
    });
    await d.dispatchDue();
    expect(
      Object.fromEntries(seen.map((e) => [e.status, { stale: e.stale, previousStatus: e.previousStatus }])),
    ).toEqual({
      ACCEPTED: { stale: true, previousStatus: null },
      PAID: { stale: false, previousStatus: 'ACCEPTED' },
    });
  });

  /** `count` fresh rows, due now (what earlier tests left is drained first). */
  async function freshRows(count: number): Promise<string[]> {
    await dispatcher({}, () => undefined).dispatchDue();
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const { id } = await store.insertChange({
        investmentId: randomUUID(),
        status: 'ACCEPTED',
        changedAt: at('2026-07-01T10:00:00Z'),
      });
      ids.push(id);
    }
    return ids;
  }

  /** Runs `b.dispatchDue()` over and over until every row of `ids` is processed. */
  async function competeUntilProcessed(b: WebhookDispatcher, ids: string[]): Promise<void> {
    await waitFor(
      async () => {
        await b.dispatchDue();
        const rows = await Promise.all(ids.map((id) => store.find(id)));
        return rows.every((row) => row?.state === 'processed');
      },
      30_000,
      'every row processed',
    );
  }

  it('renews the leases of a batch as it goes (heartbeat): a batch longer than leaseMs is still dispatched once', async () => {
    const ids = await freshRows(5);
    const calls = new Map<string, string[]>();
    const record = (who: string) => async (event: InvestmentStatusChangedEvent) => {
      calls.set(event.inboxId, [...(calls.get(event.inboxId) ?? []), who]);
      await sleep(500); // well inside leaseMs for one row; the batch of five takes longer than leaseMs
    };
    const dispatch = { batchSize: 10, leaseMs: 1500 };
    const a = dispatcher(dispatch, record('a'));
    const b = dispatcher(dispatch, record('b'));
    const roundA = a.dispatchDue();
    await waitFor(() => calls.size > 0, 10_000, 'a started its batch');
    // Meanwhile another instance keeps claiming whatever it can: nothing, the batch stays a's.
    await competeUntilProcessed(b, ids);
    await roundA;
    for (const id of ids) expect({ id, by: calls.get(id) }).toEqual({ id, by: ['a'] });
  });

  it('keeps the row of a listener slower than leaseMs leased (heartbeat): another instance runs neither it nor the rest of the batch', async () => {
    const [slow, next] = await freshRows(2);
    const calls = new Map<string, string[]>();
    const record = (who: string) => async (event: InvestmentStatusChangedEvent) => {
      calls.set(event.inboxId, [...(calls.get(event.inboxId) ?? []), who]);
      if (who === 'a' && event.inboxId === slow) await sleep(3000); // three leases long
    };
    const dispatch = { batchSize: 10, leaseMs: 1000 };
    const a = dispatcher(dispatch, record('a'));
    const b = dispatcher(dispatch, record('b'));
    const roundA = a.dispatchDue();
    await waitFor(() => calls.has(slow!), 10_000, 'a inside the slow listener');
    // b keeps claiming all the while: without a's heartbeat it would take both rows after one lease.
    await competeUntilProcessed(b, [slow!, next!]);
    await roundA;
    expect(calls.get(slow!)).toEqual(['a']);
    expect(calls.get(next!)).toEqual(['a']);
  });

  it('purges processed rows past retentionMs, keeping the latest change of each investment, dead and quarantined rows', async () => {
    const hour = 3_600_000;
    const investmentId = randomUUID();
    const changes = ['10:00', '11:00', '12:00'].map((time, i) => ({
      investmentId,
      status: ['ACCEPTED', 'PAID', 'DELIVERED'][i]!,
      changedAt: at(`2026-08-01T${time}:00Z`),
    }));
    const [older, middle, latest] = await Promise.all(changes.map((c) => store.insertChange(c)));
    const deadOne = await store.insertChange({
      investmentId: randomUUID(),
      status: 'ACCEPTED',
      changedAt: at('2026-08-01T09:00:00Z'),
    });
    const quarantined = await store.insertQuarantined(`{"purge":"${randomUUID()}"}`);
    await dispatcher({ maxAttempts: 1 }, (event) => {
      if (event.inboxId === deadOne.id) throw new Error('listener down');
    }).dispatchDue();
    expect((await store.find(deadOne.id))!.state).toBe('dead');
    const ours = [older!.id, middle!.id, latest!.id, deadOne.id];
    // Processed (or dead) two hours ago.
    await handle!.dataSource.query(
      `UPDATE "cashlink_webhook_inbox" SET "processed_at" = ${Date.now() - 2 * hour} WHERE "id" IN (${ours
        .map((id) => `'${id}'`)
        .join(', ')})`,
    );
    // Another investment's change, processed just now: kept.
    const recent = await store.insertChange({
      investmentId: randomUUID(),
      status: 'ACCEPTED',
      changedAt: at('2026-08-01T13:00:00Z'),
    });
    await dispatcher({}, () => undefined).dispatchDue();

    // The loop purges at its first round (a fresh dispatcher), here with retentionMs of one hour.
    const seen: InvestmentStatusChangedEvent[] = [];
    const d = dispatcher(
      {},
      (event) => {
        if (event.investmentId === investmentId) seen.push(event);
      },
      { retentionMs: hour },
    );
    await d.dispatchDue();
    const left = async (id: string) => (await store.find(id))?.state ?? 'purged';
    // The latest change of the investment stays (it flags late older changes as stale).
    expect(await Promise.all([older, middle, latest, recent].map((r) => left(r!.id)))).toEqual([
      'purged',
      'purged',
      'processed',
      'processed',
    ]);
    expect(await left(deadOne.id)).toBe('dead');
    expect(await left(quarantined.id)).toBe('quarantined');
    expect(await d.purge()).toBe(0);

    // A purged change delivered again is stored and dispatched again, flagged stale (a later one is kept).
    const again = await store.insertChange(changes[0]!);
    expect(again.inserted).toBe(true);
    await d.dispatchDue();
    expect(seen.map((e) => [e.status, e.stale])).toEqual([['ACCEPTED', true]]);
  });
});
