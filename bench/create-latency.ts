/**
 * Where a durable create's time goes, against a Cashlink that answers after LATENCY_MS (a remote one):
 * the library's own spans (`cashlink.intent.record`, `.send`, `.settle`) of each create, read from an
 * in-memory OpenTelemetry exporter, next to undici's `request()` POST of the same body. What is left of a
 * create outside the three spans is the loop's scheduling between them.
 *
 *   EMULATOR_PORT=4311 npm run emulator      # in another shell
 *   EMU=http://127.0.0.1:4311 N=400 LATENCY_MS=20 node -r @swc-node/register bench/create-latency.ts
 *   DB=postgres, CLEAR=1, NO_EVENTS=1 as in bench/create-cpu.ts; concurrency 16, 3 rounds alternated
 */
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { startCreateApp } from './lib/create-app';
import { percentile, runConcurrent } from './lib/stats';

const PHASES = ['cashlink.intent.record', 'cashlink.intent.send', 'cashlink.intent.settle'] as const;

async function main() {
  const base = process.env.EMU!;
  const latencyMs = Number(process.env.LATENCY_MS ?? 20);
  const n = Number(process.env.N ?? 400);
  const spans = new InMemorySpanExporter();
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(
    new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter: spans })] }),
  );
  const tracer = trace.getTracer('bench');
  const fault = (await (
    await fetch(`${base}/__emulator/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ route: 'POST /v2/investments/', kind: 'delay', delayMs: latencyMs }),
    })
  ).json()) as { id: string };
  const app = await startCreateApp(base);
  const traced = () =>
    tracer.startActiveSpan('bench.create', (span) => app.create().finally(() => span.end()));
  try {
    await runConcurrent(n / 4, 16, traced);
    await runConcurrent(n / 4, 16, app.raw);
    spans.reset();
    const raw: number[] = [];
    for (let round = 0; round < 3; round++) {
      raw.push(...(await runConcurrent(n, 16, app.raw)).latenciesMs);
      await runConcurrent(n, 16, traced);
    }
    const ms = (d: [number, number]) => d[0] * 1e3 + d[1] / 1e6;
    const byTrace = new Map<string, Map<string, number>>();
    for (const s of spans.getFinishedSpans()) {
      const id = s.spanContext().traceId;
      const phases = byTrace.get(id) ?? new Map<string, number>();
      phases.set(s.name, (phases.get(s.name) ?? 0) + ms(s.duration));
      byTrace.set(id, phases);
    }
    const series = new Map<string, number[]>();
    for (const phases of byTrace.values()) {
      const total = phases.get('bench.create');
      if (total === undefined) continue;
      let rest = total;
      for (const name of ['bench.create', ...PHASES]) {
        const value = phases.get(name) ?? 0;
        if (name !== 'bench.create') rest -= value;
        series.set(name, [...(series.get(name) ?? []), value]);
      }
      series.set('between the spans', [...(series.get('between the spans') ?? []), rest]);
    }
    const row = (label: string, values: number[]) => {
      const sorted = [...values].sort((a, b) => a - b);
      const mean = sorted.reduce((a, b) => a + b, 0) / sorted.length;
      console.log(
        `${label.padEnd(36)} p50 ${percentile(sorted, 50).toFixed(2).padStart(7)}  mean ${mean.toFixed(2).padStart(7)}  p99 ${percentile(sorted, 99).toFixed(2).padStart(7)} ms`,
      );
    };
    console.log(
      `durable create (${app.label}), Cashlink ${latencyMs} ms, ${n} × 3 calls each, concurrency 16`,
    );
    row('undici.request POST', raw);
    row('library create', series.get('bench.create') ?? []);
    for (const name of [...PHASES, 'between the spans']) row(`  ${name}`, series.get(name) ?? []);
    // Every other span of the creates (the HTTP client span inside the send, and any the app adds).
    for (const phases of byTrace.values()) {
      if (!phases.has('bench.create')) continue;
      for (const [name, value] of phases) {
        if (name === 'bench.create' || (PHASES as readonly string[]).includes(name)) continue;
        series.set(`    ${name}`, [...(series.get(`    ${name}`) ?? []), value]);
      }
    }
    for (const [name, values] of series) if (name.startsWith('    ')) row(name, values);
  } finally {
    await app.close();
    await fetch(`${base}/__emulator/faults/${fault.id}`, { method: 'DELETE' });
  }
}
main().catch((e) => {
  console.error(e);
  process.exit(1);
});
