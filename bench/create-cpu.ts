/**
 * CPU per durable create: the library's `investments.create` (intent recorded and flushed, sent,
 * settled, its event written and delivered, encryption on) against undici's `request()` POST with the
 * same token and an idempotency key, alternated for 5 rounds, as this process's CPU time per call (the
 * database's own CPU is not in it: Postgres runs elsewhere; SQLite runs here). Like bench/read-cpu.ts it
 * shows the library's own cost where `npm run bench` cannot be run idle.
 *
 *   EMULATOR_PORT=4311 npm run emulator      # in another shell
 *   EMU=http://127.0.0.1:4311 N=2000 node -r @swc-node/register bench/create-cpu.ts
 *   DB=postgres (default sqlite: a fresh file in WAL mode), CLEAR=1 (encryption off), NO_EVENTS=1 (this
 *   instance delivers no events), ONLY=lib|raw, --cpu-prof as in read-cpu.ts
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
import { compareCpuPerCall } from './lib/cpu-compare';
import {
  CASHLINK_MIGRATIONS,
  CashlinkAuthService,
  CashlinkInvestmentsService,
  CashlinkModule,
} from '../libs/cashlink/src/index';
import { EMULATOR_CAMPAIGN_ID, testEncryptionKeys } from '../libs/cashlink/src/testing/index';
import { createTestDatabase } from '../test/support/test-database';

const base = process.env.EMU!;
async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'create-cpu-'));
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
  class CreateCpuModule {}
  const ctx = await NestFactory.createApplicationContext(CreateCpuModule, { logger: ['error'] });
  const inv = ctx.get(CashlinkInvestmentsService);
  const token = await ctx.get(CashlinkAuthService).getAccessToken();
  const seeded = (await (
    await fetch(`${base}/__emulator/seed/investments`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ count: 1 }),
    })
  ).json()) as { investor_id?: string; first_id: string };
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
  const N = Number(process.env.N ?? 2000);
  const lib = () => inv.create(input());
  const raw = async () => {
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
  };
  const cpu = await compareCpuPerCall(N, lib, raw);
  console.log(
    `CPU µs/create (${pg ? 'postgres' : 'sqlite'}${process.env.CLEAR ? ', encryption off' : ''}): undici.request ${cpu.raw.toFixed(1)}, library ${cpu.lib.toFixed(1)}, library extra ${(cpu.lib - cpu.raw).toFixed(1)}`,
  );
  await ctx.close();
  await pg?.drop();
  rmSync(dir, { recursive: true, force: true });
}
main().catch((e) => {
  console.error(e);
  process.exit(1);
});
