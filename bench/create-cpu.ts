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
import { compareCpuPerCall } from './lib/cpu-compare';
import { startCreateApp } from './lib/create-app';

async function main() {
  const app = await startCreateApp(process.env.EMU!);
  const cpu = await compareCpuPerCall(Number(process.env.N ?? 2000), app.create, app.raw);
  console.log(
    `CPU µs/create (${app.label}): undici.request ${cpu.raw.toFixed(1)}, library ${cpu.lib.toFixed(1)}, library extra ${(cpu.lib - cpu.raw).toFixed(1)}`,
  );
  await app.close();
}
main().catch((e) => {
  console.error(e);
  process.exit(1);
});
