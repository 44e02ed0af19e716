/**
 * The app of bench/create-cpu.ts and bench/create-latency.ts: the library on a fresh database (SQLite in
 * WAL mode with synchronous=FULL, or a new Postgres database with DB=postgres), against the emulator at
 * `EMU`, with one seeded investor; `create()` is the library's durable create, `raw()` the same POST
 * through undici's `request()` with the library's token and a new idempotency key.
 *
 *   CLEAR=1 (encryption off), NO_EVENTS=1 (this instance delivers no events)
 */
import 'reflect-metadata';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { TypeOrmModule } from '@nestjs/typeorm';
import { request } from 'undici';
import {
  CASHLINK_MIGRATIONS,
  CashlinkAuthService,
  CashlinkInvestmentsService,
  CashlinkModule,
} from '../../libs/cashlink/src/index';
import { EMULATOR_CAMPAIGN_ID, testEncryptionKeys } from '../../libs/cashlink/src/testing/index';
import { createTestDatabase } from '../../test/support/test-database';

export interface CreateApp {
  /** 'sqlite' or 'postgres', with ', encryption off' when CLEAR is set. */
  label: string;
  create: () => Promise<unknown>;
  raw: () => Promise<unknown>;
  close: () => Promise<void>;
}

/** Seeds one investment (and its investor) in the emulator at `base` through its control API. */
export async function seedOneInvestment(base: string): Promise<{ investor_id?: string; first_id: string }> {
  const answer = await fetch(`${base}/__emulator/seed/investments`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ count: 1 }),
  });
  return (await answer.json()) as { investor_id?: string; first_id: string };
}

export async function startCreateApp(base: string): Promise<CreateApp> {
  const dir = mkdtempSync(join(tmpdir(), 'create-app-'));
  const pg = process.env.DB === 'postgres' ? await createTestDatabase('postgres') : null;
  const db = pg
    ? pg.options
    : {
        type: 'better-sqlite3' as const,
        database: join(dir, 'create.sqlite'),
        enableWAL: true,
        prepareDatabase: (handle: { pragma(source: string): unknown }) => handle.pragma('synchronous = FULL'),
      };
  @Module({
    imports: [
      EventEmitterModule.forRoot(),
      TypeOrmModule.forRoot({
        ...db,
        autoLoadEntities: true,
        migrations: CASHLINK_MIGRATIONS,
        migrationsRun: true,
        logging: false,
      } as Parameters<typeof TypeOrmModule.forRoot>[0]),
      CashlinkModule.forRoot({
        baseUrl: `${base}/api/external/distributor`,
        tokenUrl: `${base}/api/external/oauth/token`,
        clientId: 'emulator-client',
        clientSecret: 'emulator-secret',
        http: { maxRetries: 0 },
        webhooks: false,
        encryption: process.env.CLEAR ? false : testEncryptionKeys(),
        ...(process.env.NO_EVENTS ? { events: { dispatch: { enabled: false } } } : {}),
      }),
    ],
  })
  class CreateAppModule {}
  const ctx = await NestFactory.createApplicationContext(CreateAppModule, { logger: ['error'] });
  const inv = ctx.get(CashlinkInvestmentsService);
  const token = await ctx.get(CashlinkAuthService).getAccessToken();
  const seeded = await seedOneInvestment(base);
  const investorId =
    seeded.investor_id ??
    (
      (await (
        await request(`${base}/api/external/distributor/v2/investments/${seeded.first_id}/`, {
          headers: { authorization: `Bearer ${token}` },
        })
      ).body.json()) as { investor_id: string }
    ).investor_id;
  const input = () => ({
    investor_id: investorId,
    campaign_id: EMULATOR_CAMPAIGN_ID,
    units: 1,
    signed_at: new Date().toISOString(),
  });
  const url = `${base}/api/external/distributor/v2/investments/`;
  return {
    label: `${pg ? 'postgres' : 'sqlite'}${process.env.CLEAR ? ', encryption off' : ''}`,
    create: () => inv.create(input()),
    raw: async () => {
      const r = await request(url, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          accept: 'application/json',
          'content-type': 'application/json',
          'x-idempotency-key': crypto.randomUUID(),
        },
        body: JSON.stringify(input()),
      });
      return r.body.json();
    },
    close: async () => {
      await ctx.close();
      await pg?.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
