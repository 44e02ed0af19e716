// Shared set-up of the ops tests: a database in the state operators meet — two expired intents (one whose
// answer was dropped after Cashlink created the investment, one refused with 503 before any effect) and
// an investor intent holding personal data — made through the library against the emulator.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CashlinkIntentsService,
  CashlinkInvestmentsService,
  CashlinkInvestorsService,
} from 'nestjs-cashlink';
import {
  type CashlinkEmulator,
  EMULATOR_CAMPAIGN_ID,
  exampleInvestorInput,
  testEncryptionKeys,
} from 'nestjs-cashlink/testing';
import { DataSource } from 'typeorm';
import { FAST_IDEMPOTENCY, startDurableApp } from '../../idempotency/support/durable-app';
import { createTestDatabase, type DatabaseKind } from '../../support/databases';

/** The demo's database: an SQLite `demo.sqlite` in DEMO_DATA_DIR, or a Postgres DATABASE_URL. */
export interface DemoDatabase {
  env: Record<string, string>;
  options: { type: 'better-sqlite3'; database: string } | { type: 'postgres'; url: string };
  drop(): Promise<void>;
}

export async function createDemoDatabase(kind: DatabaseKind): Promise<DemoDatabase> {
  if (kind === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'cashlink-ops-'));
    return {
      env: { DEMO_DATA_DIR: dir },
      options: { type: 'better-sqlite3', database: join(dir, 'demo.sqlite') },
      drop: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  const db = await createTestDatabase('postgres');
  return { env: { DATABASE_URL: db.url }, options: { type: 'postgres', url: db.url }, drop: () => db.drop() };
}

/** The demo's environment pointing at the test's emulator (its "remote" Cashlink). */
export function demoEnv(emu: CashlinkEmulator, db: DemoDatabase): Record<string, string> {
  return {
    ...db.env,
    CASHLINK_CLIENT_ID: emu.clientId,
    CASHLINK_CLIENT_SECRET: emu.clientSecret,
    CASHLINK_BASE_URL: emu.baseUrl,
    CASHLINK_TOKEN_URL: emu.tokenUrl,
    CASHLINK_WEBHOOK_TOKEN: 'ops-test-webhook-token-0123456789',
    // The key ring the seeding app (durable-app's default) sealed the rows with.
    CASHLINK_ENCRYPTION_KEYS: Object.entries(testEncryptionKeys().keys)
      .map(([id, key]) => `${id}=${key}`)
      .join(','),
    DEMO_SCENARIO: 'false',
  };
}

export const SIGNED_AT = '2026-11-24T10:00:00.000Z';

/** Intents `order-1` (created at Cashlink, answer lost) and `order-2` (never created), both expired. */
export async function seedExpiredIntents(
  emu: CashlinkEmulator,
  db: DemoDatabase,
): Promise<{ investorId: string; createdInvestmentId: string }> {
  const app = await startDurableApp({
    database: db.options,
    baseUrl: emu.baseUrl,
    tokenUrl: emu.tokenUrl,
    clientId: emu.clientId,
    clientSecret: emu.clientSecret,
    maxRetries: 0,
    idempotency: { ...FAST_IDEMPOTENCY, maxAgeMs: 300 },
  });
  try {
    const intents = app.get(CashlinkIntentsService);
    const investments = app.get(CashlinkInvestmentsService);
    const investorId = (
      await app
        .get(CashlinkInvestorsService)
        .create(exampleInvestorInput() as never, { idempotencyKey: 'inv-1' })
    ).id;
    const order = (units: number) => ({
      investor_id: investorId,
      campaign_id: EMULATOR_CAMPAIGN_ID,
      units,
      signed_at: SIGNED_AT,
    });
    const waitExpired = async (n: number): Promise<void> => {
      const end = Date.now() + 15_000;
      for (;;) {
        const counts = await intents.count();
        if (counts.expired === n) return;
        if (Date.now() > end) throw new Error(`intents did not expire: ${JSON.stringify(counts)}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    };
    // Every answer dropped after the work until the intent expires: Cashlink made it, we never heard.
    emu.injectFault({ route: 'POST /v2/investments/', kind: 'drop_after_work' });
    await investments.create(order(1), { idempotencyKey: 'order-1' }).catch(() => undefined);
    await waitExpired(1);
    emu.clearFaults();
    // 503 before any work until it expires: Cashlink made nothing.
    emu.injectFault({ route: 'POST /v2/investments/', kind: 'server_error', status: 503 });
    await investments.create(order(2), { idempotencyKey: 'order-2' }).catch(() => undefined);
    await waitExpired(2);
    emu.clearFaults();
    const created = emu.investments().filter((i) => i.units === 1);
    if (created.length !== 1) throw new Error(`expected one investment of 1 unit, got ${created.length}`);
    return { investorId, createdInvestmentId: created[0]!.id };
  } finally {
    await app.close();
  }
}

/** A `dead` inbox row, as the dispatcher leaves it after its last failed attempt. */
export async function insertDeadWebhookRow(db: DemoDatabase): Promise<string> {
  const ds = new DataSource({ ...db.options, synchronize: false, logging: false } as never);
  await ds.initialize();
  try {
    const id = randomUUID();
    const now = Date.now();
    const p = db.options.type === 'postgres' ? (n: number) => `$${n}` : () => '?';
    await ds.query(
      `INSERT INTO "cashlink_webhook_inbox" ("id", "dedupe_key", "investment_id", "status", "changed_at", "stale",
         "received_at", "state", "attempts", "next_attempt_at", "last_error")
       VALUES (${[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11].map(p).join(', ')})`,
      [
        id,
        id.replace(/-/g, ''),
        randomUUID(),
        'ACCEPTED',
        '2026-11-24T10:00:00.000000000Z',
        false,
        now,
        'dead',
        5,
        now,
        'Error: listener failed',
      ],
    );
    return id;
  } finally {
    await ds.destroy();
  }
}

/** Runs one statement on the demo's database (`?` placeholders) and returns its rows. */
/**
 * A handler's dead delivery of one (done) event in the event log, as a handler that kept failing
 * leaves it. Returns the event id.
 */
export async function insertDeadDelivery(db: DemoDatabase, handler: string): Promise<number> {
  const ds = new DataSource({ ...db.options, synchronize: false, logging: false } as never);
  await ds.initialize();
  try {
    const now = Date.now();
    const sourceId = randomUUID();
    const p = db.options.type === 'postgres' ? (n: number) => `$${n}` : () => '?';
    const list = (n: number) => Array.from({ length: n }, (_, i) => p(i + 1)).join(', ');
    await ds.query(
      `INSERT INTO "cashlink_events" ("name", "source", "source_id", "created_at", "state", "attempts", "next_attempt_at", "done_at")
       VALUES (${list(8)})`,
      ['cashlink.investment.status_changed', 'webhook', sourceId, now, 'done', 1, now, now],
    );
    const [row] = (await ds.query(`SELECT "id" FROM "cashlink_events" WHERE "source_id" = ${p(1)}`, [
      sourceId,
    ])) as Array<{ id: number | string }>;
    const eventId = Number(row!.id);
    await ds.query(
      `INSERT INTO "cashlink_event_deliveries" ("event_id", "handler", "state", "attempts", "next_attempt_at", "last_error", "updated_at")
       VALUES (${list(7)})`,
      [eventId, handler, 'dead', 8, now, 'Error: the ledger service is down', now],
    );
    return eventId;
  } finally {
    await ds.destroy();
  }
}

export async function demoQuery(db: DemoDatabase, sql: string, params: unknown[] = []): Promise<unknown[]> {
  const ds = new DataSource({ ...db.options, synchronize: false, logging: false } as never);
  await ds.initialize();
  try {
    let n = 0;
    const text = db.options.type === 'postgres' ? sql.replace(/\?/g, () => `$${++n}`) : sql;
    return (await ds.query(text, params)) as unknown[];
  } finally {
    await ds.destroy();
  }
}
