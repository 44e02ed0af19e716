import { randomUUID } from 'node:crypto';
import { CASHLINK_EVENTS } from 'nestjs-cashlink';
import { CashlinkEventHandlers } from '../../libs/cashlink/src/event-log/cashlink-event-handlers';
import { describeEachDatabase } from '../support/databases';
import { startEventsApp, type EventsApp, type EventsAppConfig } from './fixtures/events-app';
import {
  closeEventsDatabase,
  countEvents,
  deliverUntilAccepted,
  effects,
  openEventsDatabase,
  waitFor,
} from './support';

jest.setTimeout(60_000);

const TOKEN = 'e'.repeat(40);

describeEachDatabase('durable event log', (kind) => {
  let handle: Awaited<ReturnType<typeof openEventsDatabase>> | undefined;
  let app: EventsApp | undefined;

  beforeEach(async () => {
    handle = await openEventsDatabase(kind);
  });
  afterEach(async () => {
    await app?.close();
    app = undefined;
    await closeEventsDatabase(handle);
  });

  const start = (extra: Partial<EventsAppConfig>) =>
    startEventsApp({
      db: handle!.db.options,
      webhooks: { auth: { type: 'bearer', tokens: [TOKEN] }, dispatch: { intervalMs: 20 } },
      events: {
        dispatch: { intervalMs: 20, backoff: { initialDelayMs: 10, multiplier: 1, maxDelayMs: 10 } },
      },
      handlers: [],
      ...extra,
    });

  const changes = (n: number) =>
    Array.from({ length: n }, (_, i) => ({
      investment_id: randomUUID(),
      status: i % 2 === 0 ? 'PAID' : 'ACCEPTED',
      changed_at: new Date(Date.parse('2026-05-01T00:00:00Z') + i).toISOString(),
    }));

  it('a handler failing 3 times is retried alone: the others run exactly once', async () => {
    app = await start({ handlers: ['tx', 'flaky', 'okA', 'okB', 'plain'], flakyFailures: 3 });
    const sent = changes(6);
    for (const c of sent) await deliverUntilAccepted(() => app!.origin, TOKEN, JSON.stringify(c));
    const ds = handle!.dataSource;
    await waitFor(async () => (await countEvents(ds, 'done')) === 6, 30_000, 'every event done');

    const inboxIds = (await app.webhooks.list()).map((r) => r.id);
    expect(inboxIds).toHaveLength(6);
    for (const handler of ['tx', 'okA', 'flaky', 'plain']) {
      const done = await effects(ds, handler);
      expect([handler, [...done.values()].filter((n) => n !== 1)]).toEqual([handler, []]);
      expect([handler, done.size]).toEqual([handler, 6]);
    }
    // The per-status handler: PAID changes only, once each.
    expect([...(await effects(ds, 'okB')).values()]).toEqual([1, 1, 1]);
    // The flaky one was called 4 times per event, its attempts counted in its own delivery.
    expect([...(await effects(ds, 'flaky-call')).values()]).toEqual([4, 4, 4, 4, 4, 4]);
    const deliveries = await app.events.deliveries({ handler: 'flaky' });
    expect(deliveries.map((d) => [d.state, d.attempts])).toEqual(Array(6).fill(['done', 4]));
    expect((await app.events.deliveries({ handler: 'okA' })).map((d) => d.attempts)).toEqual(
      Array(6).fill(1),
    );
  });

  it('a dead delivery is redispatched to its handler only', async () => {
    app = await start({
      handlers: ['tx', 'flaky', 'okA'],
      flakyFailures: 3,
      events: {
        dispatch: {
          intervalMs: 20,
          maxAttempts: 2,
          backoff: { initialDelayMs: 10, multiplier: 1, maxDelayMs: 10 },
        },
      },
    });
    const [change] = changes(1);
    await deliverUntilAccepted(() => app!.origin, TOKEN, JSON.stringify(change));
    const ds = handle!.dataSource;
    await waitFor(async () => (await countEvents(ds, 'dead')) === 1, 30_000, 'the event dead');
    const [dead] = await app.events.deliveries({ state: 'dead' });
    expect(dead).toMatchObject({ handler: 'flaky', attempts: 2 });
    expect(dead!.lastError).toContain('flaky handler failure');

    expect(await app.events.redispatch({ state: 'dead', handler: 'flaky' })).toBe(1);
    await waitFor(async () => (await countEvents(ds, 'done')) === 1, 30_000, 'the event done');
    expect([...(await effects(ds, 'flaky')).values()]).toEqual([1]);
    expect([...(await effects(ds, 'flaky-call')).values()]).toEqual([4]);
    expect([...(await effects(ds, 'okA')).values()]).toEqual([1]);
    expect([...(await effects(ds, 'tx')).values()]).toEqual([1]);

    // A replay asked for by name: that handler alone, in a new transaction.
    const [event] = await app.events.list({ source: 'webhook' });
    expect(await app.events.redispatch({ eventId: event!.id, handler: 'tx' })).toBe(1);
    await waitFor(async () => [...(await effects(ds, 'tx')).values()][0] === 2, 30_000, 'the replay');
    expect([...(await effects(ds, 'okA')).values()]).toEqual([1]);
  });

  it('a transactional handler that throws leaves none of its writes; the other events of its batch commit', async () => {
    app = await start({ handlers: ['tx', 'txFlaky'], flakyFailures: 2 });
    const sent = changes(8);
    await Promise.all(sent.map((c) => deliverUntilAccepted(() => app!.origin, TOKEN, JSON.stringify(c))));
    const ds = handle!.dataSource;
    await waitFor(async () => (await countEvents(ds, 'done')) === 8, 30_000, 'every event done');
    // Attempts 1 and 2 wrote a row each and threw: rolled back with their savepoint; attempt 3 stays.
    const rows = await effects(ds, 'txFlaky');
    expect([rows.size, [...rows.values()].filter((n) => n !== 1)]).toEqual([8, []]);
    const tx = await effects(ds, 'tx');
    expect([tx.size, [...tx.values()].filter((n) => n !== 1)]).toEqual([8, []]);
    expect((await app.events.deliveries({ handler: 'txFlaky' })).map((d) => d.attempts)).toEqual(
      Array(8).fill(3),
    );
  });

  it('a transactional handler failing for some events of a batch: each event written once, the others on their first attempt', async () => {
    // Sent at once: PAID and ACCEPTED changes (alternating) share batches, so share transactions.
    app = await start({ handlers: ['txPaidOnce'] });
    const sent = changes(12);
    await Promise.all(sent.map((c) => deliverUntilAccepted(() => app!.origin, TOKEN, JSON.stringify(c))));
    const ds = handle!.dataSource;
    await waitFor(async () => (await countEvents(ds, 'done')) === 12, 30_000, 'every event done');
    const rows = await effects(ds, 'txPaidOnce');
    expect([rows.size, [...rows.values()].filter((n) => n !== 1)]).toEqual([12, []]);
    const attempts = (await app.events.deliveries({ handler: 'txPaidOnce' })).map((d) => {
      expect(d.state).toBe('done');
      return d.attempts;
    });
    // The PAID changes on their second attempt; the ACCEPTED ones, which shared their transactions, on
    // their first (a rollback caused by another event's failure is not an attempt of theirs).
    expect(attempts.sort()).toEqual([...Array(6).fill(1), ...Array(6).fill(2)]);
  });

  it('a duplicate delivery adds no event; a quarantined body adds none', async () => {
    app = await start({ handlers: ['tx'] });
    const [change] = changes(1);
    for (let i = 0; i < 3; i++) await deliverUntilAccepted(() => app!.origin, TOKEN, JSON.stringify(change));
    await deliverUntilAccepted(() => app!.origin, TOKEN, JSON.stringify({ not: 'a change' }));
    const ds = handle!.dataSource;
    await waitFor(async () => (await countEvents(ds, 'done')) === 1, 30_000, 'the event done');
    expect(await countEvents(ds)).toBe(1);
    expect([...(await effects(ds, 'tx')).values()]).toEqual([1]);
  });
  it('an event no handler wants is done without reading its fact (even one whose row is gone)', async () => {
    // Only a handler of intent successes: webhook changes and other intent events are nobody's.
    app = await start({ handlers: [] });
    const registry = app.app.get(CashlinkEventHandlers);
    registry.register([
      {
        ...registry.list().find((h) => h.name === 'intentTx')!,
        events: new Set([CASHLINK_EVENTS.intentSucceeded]),
      },
    ]);
    const ds = handle!.dataSource;
    const pg = kind === 'postgres';
    const insert = (name: string, sourceId: string) =>
      ds.query(
        `INSERT INTO cashlink_events (name, source, source_id, created_at, state, attempts, next_attempt_at) ` +
          `VALUES (${pg ? '$1, $2, $3, $4, $5, $6, $7' : '?, ?, ?, ?, ?, ?, ?'})`,
        [name, 'intent', sourceId, 1, 'pending', 0, 1],
      );
    // Rows whose intents do not exist: read, they would be dead ("its row is gone").
    await insert('cashlink.intent.failed', 'gone-1');
    await insert('cashlink.intent.expired', 'gone-2');
    for (const c of changes(2)) await deliverUntilAccepted(() => app!.origin, TOKEN, JSON.stringify(c));
    await waitFor(async () => (await countEvents(ds, 'done')) === 4, 30_000, 'every event done');
    expect(await countEvents(ds, 'dead')).toBe(0);
    expect(await app.events.deliveries({})).toEqual([]);
    // The one a handler wants, with its row gone, is dead as before.
    await insert('cashlink.intent.succeeded', 'gone-3');
    await waitFor(async () => (await countEvents(ds, 'dead')) === 1, 30_000, 'the wanted event dead');
  });
  it('an intent stopped in needs_review reaches intent handlers as cashlink.intent.expired, with its state', async () => {
    app = await start({ handlers: ['intentTx'] });
    const ds = handle!.dataSource;
    const p = (n: number) => (kind === 'postgres' ? `$${n}` : '?');
    await ds.query(
      `INSERT INTO "cashlink_intents" ("idempotency_key", "operation", "method", "path", "request_body", "request_hash", "state", "attempts", "next_attempt_at", "created_at", "updated_at") ` +
        `VALUES (${p(1)}, 'investments.create', 'POST', '/v2/investments/', '{}', 'h', 'pending', 3, 1, 1, 1)`,
      ['review-me'],
    );
    await ds.query(
      `UPDATE "cashlink_intents" SET "state" = 'needs_review', "settled_at" = 2, "updated_at" = 2 WHERE "idempotency_key" = ${p(1)}`,
      ['review-me'],
    );
    await waitFor(async () => (await effects(ds, 'intentTx')).size === 1, 30_000, 'the handler ran');
    const [row] = (await ds.query(
      `SELECT detail FROM test_effects WHERE handler = 'intentTx' AND source_id = 'review-me'`,
    )) as Array<{ detail: string }>;
    expect(row!.detail.split(':')[0]).toBe('needs_review');
    const logged = await app.events.list({ source: 'intent', sourceId: 'review-me' });
    expect(logged.map((e) => [e.name, e.state])).toEqual([[CASHLINK_EVENTS.intentExpired, 'done']]);
  });
});
