/**
 * CPU per read call: the library's `investments.get` against undici's `request()` with the same token,
 * alternated for 5 rounds, as process CPU time per call (less sensitive to a busy machine than wall
 * time, so it shows the library's own cost per call where `npm run bench` cannot be run idle).
 *
 *   EMULATOR_PORT=4311 npm run emulator      # in another shell
 *   EMU=http://127.0.0.1:4311 N=4000 node -r @swc-node/register bench/read-cpu.ts
 *   (add --cpu-prof --cpu-prof-dir=/tmp/prof before -r for a profile; bench/profile-summary.ts reads it;
 *   ONLY=lib or ONLY=raw runs one side alone, so that the profile holds that side only)
 */
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { request } from 'undici';
import { compareCpuPerCall } from './lib/cpu-compare';
import { seedOneInvestment } from './lib/create-app';
import { CashlinkModule, CashlinkInvestmentsService, CashlinkAuthService } from '../libs/cashlink/src/index';

const base = process.env.EMU!;
async function main() {
  const ctx = await NestFactory.createApplicationContext(
    CashlinkModule.forRoot({
      baseUrl: `${base}/api/external/distributor`,
      tokenUrl: `${base}/api/external/oauth/token`,
      clientId: 'emulator-client',
      clientSecret: 'emulator-secret',
      persistence: false,
      http: { maxRetries: 0 },
    }),
    { logger: ['error'] },
  );
  const inv = ctx.get(CashlinkInvestmentsService);
  const token = await ctx.get(CashlinkAuthService).getAccessToken();
  const id = (await seedOneInvestment(base)).first_id;
  const url = `${base}/api/external/distributor/v2/investments/${id}/`;
  const N = Number(process.env.N ?? 4000);
  const lib = () => inv.get(id);
  const raw = async () => {
    const r = await request(url, {
      headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
    });
    return r.body.json();
  };
  const cpu = await compareCpuPerCall(N, lib, raw);
  console.log(
    `CPU µs/call: undici.request ${cpu.raw.toFixed(1)}, library ${cpu.lib.toFixed(1)}, library extra ${(cpu.lib - cpu.raw).toFixed(1)}`,
  );
  await ctx.close();
}
main().catch((e) => {
  console.error(e);
  process.exit(1);
});
