/**
 * The set-up the durable-write specs share: a Nest app with the library's durable intents on a fresh
 * database per test, the emulator, an investor to invest for, and every settlement event it emitted.
 */

import type { INestApplicationContext } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import {
  CASHLINK_EVENTS,
  CashlinkDocumentsService,
  CashlinkInvestmentsService,
  CashlinkInvestorsService,
} from 'nestjs-cashlink';
import {
  type CashlinkEmulator,
  EMULATOR_CAMPAIGN_ID,
  exampleInvestorInput,
  startCashlinkEmulator,
} from 'nestjs-cashlink/testing';

import { CashlinkIntentsService } from '../../../libs/cashlink/src/idempotency/cashlink-intents.service';

import type { CashlinkIdempotencyOptions } from '../../../libs/cashlink/src/idempotency/idempotency.options';
import type { IntentSettledEvent } from '../../../libs/cashlink/src/idempotency/intent-settled.event';
import { createTestDatabase, type DatabaseKind, type TestDatabase } from '../../support/databases';
import { FAST_IDEMPOTENCY, startDurableApp } from './durable-app';

export const NO_WORKER: CashlinkIdempotencyOptions = { ...FAST_IDEMPOTENCY, recovery: false };

// Some cases wait out leases of a few seconds; the machine running them may be busy.
jest.setTimeout(60_000);

export function investmentInput(investorId: string, units = 1) {
  return {
    investor_id: investorId,
    campaign_id: EMULATOR_CAMPAIGN_ID,
    units,
    signed_at: '2026-11-24T10:00:00.000Z',
  };
}

export interface Harness {
  app: INestApplicationContext;
  investments: CashlinkInvestmentsService;
  investors: CashlinkInvestorsService;
  documents: CashlinkDocumentsService;
  intents: CashlinkIntentsService;
  dataSource: DataSource;
  events: { name: string; event: IntentSettledEvent }[];
  investorId: string;
}

export async function harness(
  kind: DatabaseKind,
  emu: CashlinkEmulator,
  db: TestDatabase,
  idempotency: CashlinkIdempotencyOptions = NO_WORKER,
  extra: { dataSourceName?: string; maxRetries?: number } = {},
): Promise<Harness> {
  const app = await startDurableApp({
    database: db.options,
    baseUrl: emu.baseUrl,
    tokenUrl: emu.tokenUrl,
    clientId: emu.clientId,
    clientSecret: emu.clientSecret,
    idempotency,
    maxRetries: extra.maxRetries ?? 0,
    dataSourceName: extra.dataSourceName,
  });
  const events: Harness['events'] = [];
  const emitter = app.get(EventEmitter2);
  for (const name of [
    CASHLINK_EVENTS.intentSucceeded,
    CASHLINK_EVENTS.intentFailed,
    CASHLINK_EVENTS.intentExpired,
  ]) {
    emitter.on(name, (event: IntentSettledEvent) => events.push({ name, event }));
  }
  const investors = app.get(CashlinkInvestorsService);
  const investor = await investors.create(exampleInvestorInput() as never, {
    idempotencyKey: `investor-${kind}`,
  });
  return {
    app,
    investments: app.get(CashlinkInvestmentsService),
    investors,
    documents: app.get(CashlinkDocumentsService),
    intents: app.get(CashlinkIntentsService),
    dataSource: app.get<DataSource>(getDataSourceToken(extra.dataSourceName)),
    events,
    investorId: investor.id,
  };
}

export function requestsWithKey(emu: CashlinkEmulator, key: string) {
  return emu.requests().filter((r) => r.idempotencyKey === key);
}

export function investmentPosts(emu: CashlinkEmulator) {
  return emu.requests().filter((r) => r.route === 'POST /v2/investments/');
}

/** What each test of a durable-write spec works with: its emulator, its database and its app. */
export interface DurableTestState {
  emu: CashlinkEmulator;
  db: TestDatabase;
  h: Harness | undefined;
}

/** A fresh emulator and database before each test; the app (if a test started one), emulator and database closed after it. */
export function useDurableTestState(kind: DatabaseKind): DurableTestState {
  const s = {} as DurableTestState;
  beforeEach(async () => {
    s.emu = await startCashlinkEmulator();
    s.db = await createTestDatabase(kind);
  });
  afterEach(async () => {
    await s.h?.app.close();
    s.h = undefined;
    await s.emu.close();
    await s.db.drop();
  });
  return s;
}

export async function waitFor(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
