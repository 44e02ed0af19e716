/**
 * The benchmark cases. Each one measures the library and its baseline in the same run,
 * alternating them round by round (so that a noisy neighbour hurts both), and reports medians.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { DataSource } from 'typeorm';
import {
  BASELINE_WEBHOOK_PATH,
  BENCH_WEBHOOK_TOKEN,
  WEBHOOK_PATH,
  type EmulatorInfo,
} from './bench-constants';
import { BenchChild } from './child';
import { describeShares, startCpuMeter, type CpuShares } from './cpu-meter';
import { createBenchDatabase, type DatabaseKind } from './databases';
import { runLoad, type LoadResult } from './load';
import { countPending, openMigrated, seedInbox, seedIntents } from './seed';
import { median, type RoundStats } from './stats';

export interface BenchSizes {
  rounds: number;
  webhookDurationMs: number;
  webhookConnections: number;
  readCalls: number;
  createCalls: number;
  concurrency: number;
  /** Upper bound of one round of read or create calls (a round ends at its call count or this time). */
  callDurationMs: number;
  singleFlightCalls: number;
  paginationItems: number;
  pageSize: number;
  backlogSmall: number;
  backlogLarge: number;
  /** Full drains of each backlog size, alternated (small-large, large-small, …). */
  backlogRounds: number;
  instancesBacklog: number;
}

export interface ResultRow {
  case: string;
  db: DatabaseKind | '-';
  metric: string;
  value: number;
  baseline: number | null;
  ratio: number | null;
  target: string;
  pass: boolean | null;
  detail?: Record<string, unknown>;
}

export interface BenchContext {
  kind: DatabaseKind;
  sizes: BenchSizes;
  emulator: BenchChild;
  emulatorInfo: EmulatorInfo;
  log: (line: string) => void;
}

const round2 = (n: number) => Math.round(n * 100) / 100;

async function withDatabase<T>(
  kind: DatabaseKind,
  body: (db: Awaited<ReturnType<typeof createBenchDatabase>>, ds: DataSource) => Promise<T>,
): Promise<T> {
  const db = await createBenchDatabase(kind);
  let ds: DataSource | undefined;
  try {
    ds = await openMigrated(db.options);
    return await body(db, ds);
  } finally {
    await ds?.destroy().catch(() => undefined);
    await db.drop().catch(() => undefined);
  }
}

async function startApp(
  ctx: BenchContext,
  db: Awaited<ReturnType<typeof createBenchDatabase>>,
  options: Record<string, unknown>,
) {
  const app = BenchChild.start('app-process.ts');
  const booted = await app.call<{ port?: number }>('boot', {
    db: db.options,
    emulator: ctx.emulatorInfo,
    ...options,
  });
  return { app, port: booted.port };
}

function rows(
  ctx: BenchContext,
  name: string,
  target: string,
  pairs: Array<{
    metric: string;
    value: number;
    baseline: number | null;
    higherIsBetter?: boolean;
    check?: (ratio: number | null, value: number) => boolean;
  }>,
  detail?: Record<string, unknown>,
): ResultRow[] {
  return pairs.map((p, i) => {
    const ratio = p.baseline === null || p.baseline === 0 ? null : p.value / p.baseline;
    return {
      case: name,
      db: ctx.kind,
      metric: p.metric,
      value: round2(p.value),
      baseline: p.baseline === null ? null : round2(p.baseline),
      ratio: ratio === null ? null : round2(ratio),
      target: p.check ? target : '',
      pass: p.check ? p.check(ratio, p.value) : null,
      ...(i === 0 && detail ? { detail } : {}),
    };
  });
}

/**
 * Webhook ingest: authenticated, deduped, durably stored deliveries vs a 204 route with the same auth.
 * `dispatch: false` (a receive-only instance) is the issue's case and carries the target. With
 * `dispatch: true` the same process also dispatches what arrives (claims, events, processed marks): work
 * the baseline does not do, and how much of it falls inside the measured window depends on how fast the
 * dispatcher is (a faster one leaves less for after the window and so lowers the ratio), so that row has no target; it adds how many stored changes per second were also
 * dispatched, over the window and the drain after it.
 */
export async function webhookIngest(ctx: BenchContext, dispatch: boolean): Promise<ResultRow[]> {
  return withDatabase(ctx.kind, async (db, ds) => {
    const { app, port } = await startApp(ctx, db, { listen: true, dispatch });
    try {
      const load = (path: string) =>
        runLoad({
          url: `http://127.0.0.1:${port}/${path}`,
          method: 'POST',
          headers: { authorization: `Bearer ${BENCH_WEBHOOK_TOKEN}` },
          body: () =>
            JSON.stringify({
              investment_id: randomUUID(),
              status: 'ACCEPTED',
              changed_at: new Date().toISOString(),
            }),
          connections: ctx.sizes.webhookConnections,
          durationMs: ctx.sizes.webhookDurationMs,
        });
      const base: LoadResult[] = [];
      const lib: LoadResult[] = [];
      const cpu: { baseline: CpuShares[]; library: CpuShares[] } = { baseline: [], library: [] };
      // BENCH_PROFILE_WINDOWS=<dir>: a CPU profile of the app for each measured window, the baseline's
      // and the library's apart, so that the two routes' costs can be compared function by function.
      const profileDir = process.env.BENCH_PROFILE_WINDOWS;
      let round = 0;
      const measured = async (path: string, into: CpuShares[]) => {
        if (profileDir) await app.call('profileStart');
        const stop = startCpuMeter({ app: [app.process.pid!], emulator: ctx.emulator.process.pid });
        const result = await load(path);
        into.push(stop());
        if (profileDir) {
          const which = path === WEBHOOK_PATH ? 'library' : 'baseline';
          // The answered requests go into the name: bench/profile-summary.ts reports µs per request.
          const file = `${ctx.kind}-webhook${dispatch ? '' : '-nodispatch'}-r${round}-${which}-${result.requests}req.cpuprofile`;
          mkdirSync(profileDir, { recursive: true });
          await app.call('profileStop', { file: join(profileDir, file) });
        }
        return result;
      };
      const backlog: Array<{ pendingAfterRound: number; drainMs: number }> = [];
      for (let r = 0; r < ctx.sizes.rounds; r++) {
        round = r + 1;
        base.push(await measured(BASELINE_WEBHOOK_PATH, cpu.baseline));
        lib.push(await measured(WEBHOOK_PATH, cpu.library));
        // With the dispatcher on, what it has not dispatched yet is drained before the next round, so
        // that its catching up does not run during (and slow down) the next baseline round.
        const pendingAfterRound = dispatch ? await countPending(ds, 'cashlink_webhook_inbox') : 0;
        const drainStarted = performance.now();
        while (dispatch && (await countPending(ds, 'cashlink_webhook_inbox')) > 0) {
          if (performance.now() - drainStarted > 120_000)
            throw new Error('the dispatcher did not drain in 120 s');
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        backlog.push({ pendingAfterRound, drainMs: Math.round(performance.now() - drainStarted) });
        ctx.log(
          `  webhook ingest${dispatch ? ' + dispatch' : ''} round ${r + 1}: baseline ${base.at(-1)!.rps.toFixed(0)} req/s, library ${lib.at(-1)!.rps.toFixed(0)} req/s (errors ${lib.at(-1)!.errors})` +
            (dispatch
              ? `; ${pendingAfterRound} left to dispatch, drained in ${backlog.at(-1)!.drainMs} ms`
              : '') +
            `\n    baseline ${describeShares(cpu.baseline.at(-1)!)}\n    library  ${describeShares(cpu.library.at(-1)!)}`,
        );
      }
      const errors = lib.reduce((n, x) => n + x.errors, 0) + base.reduce((n, x) => n + x.errors, 0);
      return rows(
        ctx,
        dispatch ? 'webhook ingest + dispatch, one process' : 'webhook ingest',
        'ratio >= 0.8',
        [
          {
            metric: 'req/s',
            value: median(lib.map((x) => x.rps)),
            baseline: median(base.map((x) => x.rps)),
            ...(dispatch ? {} : { check: (r: number | null) => r !== null && r >= 0.8 && errors === 0 }),
          },
          ...(dispatch
            ? [
                {
                  // Changes stored and dispatched per second of the window plus the drain after it.
                  metric: 'stored + dispatched/s',
                  value: median(lib.map((x, i) => (x.requests / (x.elapsedMs + backlog[i]!.drainMs)) * 1000)),
                  baseline: median(base.map((x) => x.rps)),
                },
              ]
            : []),
          {
            metric: 'p50 ms',
            value: median(lib.map((x) => x.p50Ms)),
            baseline: median(base.map((x) => x.p50Ms)),
          },
          {
            metric: 'p99 ms',
            value: median(lib.map((x) => x.p99Ms)),
            baseline: median(base.map((x) => x.p99Ms)),
          },
          {
            // CPU time of the app process per answered request: what each delivery costs the app
            // itself, whatever else (Postgres, the load generator) competes for the cores.
            metric: 'app CPU µs/req',
            value: median(lib.map((x, i) => appMicrosPerRequest(x, cpu.library[i]!))),
            baseline: median(base.map((x, i) => appMicrosPerRequest(x, cpu.baseline[i]!))),
          },
        ],
        {
          connections: ctx.sizes.webhookConnections,
          durationMs: ctx.sizes.webhookDurationMs,
          errors,
          cpu,
          backlog,
          libraryStatuses: lib.map((x) => x.statuses),
          baselineStatuses: base.map((x) => x.statuses),
        },
      );
    } finally {
      await app.stop();
    }
  });
}

function appMicrosPerRequest(result: LoadResult, shares: CpuShares): number {
  return result.rps > 0 ? (shares.cores.app * 1_000_000) / result.rps : 0;
}

/**
 * Rounds of `command` through the library and through the two plain clients (fetch, undici), each
 * round measuring all three one after the other; rows against each baseline (medians of the rounds).
 */
async function compareCalls(
  ctx: BenchContext,
  app: BenchChild,
  name: string,
  minRatio: number,
  spec: { command: string; args: Record<string, unknown> },
): Promise<ResultRow[]> {
  const s = ctx.sizes;
  const series = { library: [] as RoundStats[], fetch: [] as RoundStats[], undici: [] as RoundStats[] };
  const call = (raw: boolean, client?: 'fetch' | 'undici') =>
    app.call<RoundStats>(spec.command, {
      ...spec.args,
      concurrency: s.concurrency,
      raw,
      client,
      maxDurationMs: s.callDurationMs,
    });
  // Each round's CPU per process group, and with BENCH_PROFILE_WINDOWS=<dir> a CPU profile of the app
  // for the library's and the fetch baseline's windows (as in the webhook case).
  const profileDir = process.env.BENCH_PROFILE_WINDOWS;
  const run = async (round: number, raw: boolean, client?: 'fetch' | 'undici') => {
    const which = raw ? client! : 'library';
    const profiled = profileDir !== undefined && which !== 'undici';
    if (profiled) await app.call('profileStart');
    const stop = startCpuMeter({ app: [app.process.pid!], emulator: ctx.emulator.process.pid });
    const stats = await call(raw, client);
    const shares = stop();
    if (profiled) {
      mkdirSync(profileDir, { recursive: true });
      const file = `${ctx.kind}-${name.replace(/\W+/g, '-')}-r${round}-${which}-${stats.requests}req.cpuprofile`;
      await app.call('profileStop', { file: join(profileDir, file) });
    }
    return { stats, shares };
  };
  for (let r = 0; r < s.rounds; r++) {
    const fetched = await run(r + 1, true, 'fetch');
    const library = await run(r + 1, false);
    series.fetch.push(fetched.stats);
    series.library.push(library.stats);
    series.undici.push((await run(r + 1, true, 'undici')).stats);
    const lib = series.library.at(-1)!;
    ctx.log(
      `  ${name} round ${r + 1}: fetch ${series.fetch.at(-1)!.rps.toFixed(0)} req/s, undici ${series.undici.at(-1)!.rps.toFixed(0)} req/s, library ${lib.rps.toFixed(0)} req/s${lib.firstError ? ` (${lib.firstError})` : ''}` +
        `\n    fetch   ${describeShares(fetched.shares)}\n    library ${describeShares(library.shares)}`,
    );
  }
  const errors = series.library.reduce((n, x) => n + x.errors, 0);
  // The target is against the faster raw client of the run (undici's request(), the client the library
  // itself uses, unless the machine says otherwise): a wrapper cannot honestly beat its own transport,
  // so judging it against a slower client would flatter it. The other row is for information.
  const undiciFaster = median(series.undici.map((x) => x.rps)) >= median(series.fetch.map((x) => x.rps));
  const against = (label: string, baseline: RoundStats[], targeted: boolean) =>
    rows(
      ctx,
      label,
      `ratio >= ${minRatio}`,
      [
        {
          metric: 'req/s',
          value: median(series.library.map((x) => x.rps)),
          baseline: median(baseline.map((x) => x.rps)),
          ...(targeted ? { check: (r: number | null) => r !== null && r >= minRatio && errors === 0 } : {}),
        },
        {
          metric: 'p50 ms',
          value: median(series.library.map((x) => x.p50Ms)),
          baseline: median(baseline.map((x) => x.p50Ms)),
        },
        {
          metric: 'p99 ms',
          value: median(series.library.map((x) => x.p99Ms)),
          baseline: median(baseline.map((x) => x.p99Ms)),
        },
      ],
      { calls: spec.args.n, concurrency: s.concurrency, errors },
    );
  return [
    ...against(`${name} (vs undici.request)`, series.undici, undiciFaster),
    ...against(`${name} (vs fetch)`, series.fetch, !undiciFaster),
  ];
}

/** A remote Cashlink: every investment POST answered after this many ms (the durable create rows at latency). */
const REMOTE_CREATE_LATENCIES_MS = [20, 100];

/**
 * Durable create against a Cashlink that answers each investment POST after `latencyMs`, as a remote
 * one does: the library against undici's `request()`, alternated round by round (which goes first
 * alternates too). Here the call, not the machine, is the limit, and the library's commits must hide in
 * it (target 0.95).
 */
async function createAtLatency(
  ctx: BenchContext,
  app: BenchChild,
  investorId: string,
  latencyMs: number,
): Promise<ResultRow[]> {
  const s = ctx.sizes;
  const series = { library: [] as RoundStats[], undici: [] as RoundStats[] };
  const call = (raw: boolean) =>
    app.call<RoundStats>('create', {
      n: s.createCalls,
      investorId,
      concurrency: s.concurrency,
      raw,
      client: 'undici',
      maxDurationMs: s.callDurationMs,
    });
  await ctx.emulator.call('latency', { ms: latencyMs });
  try {
    for (let r = 0; r < s.rounds; r++) {
      const order = r % 2 === 0 ? [false, true] : [true, false];
      for (const raw of order) (raw ? series.undici : series.library).push(await call(raw));
      ctx.log(
        `  durable create, Cashlink ${latencyMs} ms, round ${r + 1}: undici ${series.undici.at(-1)!.rps.toFixed(0)} req/s, library ${series.library.at(-1)!.rps.toFixed(0)} req/s`,
      );
    }
  } finally {
    await ctx.emulator.call('latency', { ms: 0 });
  }
  const errors = series.library.reduce((n, x) => n + x.errors, 0);
  return rows(
    ctx,
    `durable create, Cashlink ${latencyMs} ms (vs undici.request)`,
    'ratio >= 0.95',
    [
      {
        metric: 'req/s',
        value: median(series.library.map((x) => x.rps)),
        baseline: median(series.undici.map((x) => x.rps)),
        check: (r) => r !== null && r >= 0.95 && errors === 0,
      },
      {
        metric: 'p50 ms',
        value: median(series.library.map((x) => x.p50Ms)),
        baseline: median(series.undici.map((x) => x.p50Ms)),
      },
    ],
    { calls: s.createCalls, concurrency: s.concurrency, latencyMs, errors },
  );
}

/** Read call, durable create, pagination and token single flight: one app, one database. */
export async function clientCases(ctx: BenchContext): Promise<ResultRow[]> {
  return withDatabase(ctx.kind, async (db) => {
    await ctx.emulator.call('reset');
    const seeded = await ctx.emulator.call<{ first: string }>('seedInvestments', { count: 1 });
    const investorId = await ctx.emulator.call<string>('investorId');
    const { app } = await startApp(ctx, db, { listen: false, webhooks: false });
    const out: ResultRow[] = [];
    const s = ctx.sizes;
    try {
      // read call, durable create: the library against undici's `request()` (the client the library
      // itself uses) and a plain `fetch`, interleaved per round; judged against the faster of the two.
      const read = { command: 'read', args: { n: s.readCalls, id: seeded.first } };
      const create = { command: 'create', args: { n: s.createCalls, investorId } };
      out.push(...(await compareCalls(ctx, app, 'read call', 0.9, read)));
      out.push(...(await compareCalls(ctx, app, 'durable create', 0.5, create)));
      for (const latencyMs of REMOTE_CREATE_LATENCIES_MS) {
        out.push(...(await createAtLatency(ctx, app, investorId, latencyMs)));
      }

      // token single flight
      const before = await ctx.emulator.call<number>('tokenRequests');
      const flight = await app.call<{ errors: number; firstError?: string }>('singleFlight', {
        calls: s.singleFlightCalls,
        id: seeded.first,
      });
      const tokenRequests = (await ctx.emulator.call<number>('tokenRequests')) - before;
      ctx.log(
        `  single flight: ${s.singleFlightCalls} calls, ${tokenRequests} token request(s), ${flight.errors} errors`,
      );
      out.push(
        ...rows(
          ctx,
          'token single flight',
          'exactly 1 token request',
          [
            {
              metric: `token requests / ${s.singleFlightCalls} calls`,
              value: tokenRequests,
              baseline: null,
              check: (_r, v) => v === 1 && flight.errors === 0,
            },
          ],
          { errors: flight.errors, firstError: flight.firstError },
        ),
      );

      // pagination
      await ctx.emulator.call('reset');
      await ctx.emulator.call('seedInvestments', { count: s.paginationItems });
      // The baseline loop follows `next` with each raw client; the faster one of the run is the floor.
      const fetchPages: Array<{ items: number; elapsedMs: number; heapGrowthMb: number }> = [];
      const undiciPages: typeof fetchPages = [];
      const libPages: typeof fetchPages = [];
      for (let r = 0; r < s.rounds; r++) {
        fetchPages.push(await app.call('paginate', { pageSize: s.pageSize, raw: true, client: 'fetch' }));
        libPages.push(await app.call('paginate', { pageSize: s.pageSize, raw: false }));
        undiciPages.push(await app.call('paginate', { pageSize: s.pageSize, raw: true, client: 'undici' }));
        ctx.log(
          `  pagination round ${r + 1}: fetch loop ${fetchPages.at(-1)!.elapsedMs.toFixed(0)} ms, undici loop ${undiciPages.at(-1)!.elapsedMs.toFixed(0)} ms, all() ${libPages.at(-1)!.elapsedMs.toFixed(0)} ms over ${libPages.at(-1)!.items} items, heap +${libPages.at(-1)!.heapGrowthMb.toFixed(1)} MB`,
        );
      }
      const fasterUndici =
        median(undiciPages.map((x) => x.elapsedMs)) <= median(fetchPages.map((x) => x.elapsedMs));
      const rawPages = fasterUndici ? undiciPages : fetchPages;
      const items = libPages[0]!.items;
      out.push(
        ...rows(
          ctx,
          'pagination',
          'time ratio <= 1.1; heap growth <= 32 MB',
          [
            {
              metric: `ms for ${items} items (vs ${fasterUndici ? 'undici.request' : 'fetch'} loop)`,
              value: median(libPages.map((x) => x.elapsedMs)),
              baseline: median(rawPages.map((x) => x.elapsedMs)),
              check: (r) => r !== null && r <= 1.1 && libPages.every((x) => x.items === rawPages[0]!.items),
            },
            {
              metric: 'heap growth MB',
              value: Math.max(...libPages.map((x) => x.heapGrowthMb)),
              baseline: Math.max(...rawPages.map((x) => x.heapGrowthMb)),
              check: (_r, v) => v <= 32,
            },
          ],
          { pageSize: s.pageSize, items },
        ),
      );
    } finally {
      await app.stop();
      await ctx.emulator.call('reset');
    }
    return out;
  });
}

/** One backlog drain measurement: seed, start `processes` apps, time the processing of `sample` rows. */
async function drain(
  ctx: BenchContext,
  what: 'dispatch' | 'intents',
  backlog: number,
  sample: number,
  processes: number,
  /**
   * Start every process's drain at the same moment (instances case): the apps boot with their
   * background loops off and then drain through the public services, started by one IPC call each.
   * Otherwise each process starts draining as soon as it has booted.
   */
  together = false,
  /** Dispatch: each change is of an investment the emulator holds, and the listener reads it from Cashlink. */
  listenerReadsInvestment = false,
): Promise<{
  perRowMs: number;
  rowsPerSecond: number;
  processed: number;
  seedMs: number;
  /** Where the CPU went from the apps' start to the end of the drain. */
  load: CpuShares;
}> {
  return withDatabase(ctx.kind, async (db, ds) => {
    const t0 = performance.now();
    if (what === 'dispatch') {
      const investmentIds = listenerReadsInvestment
        ? (await ctx.emulator.call<{ ids: string[] }>('seedInvestments', { count: backlog, all: true })).ids
        : undefined;
      await seedInbox(ds, backlog, investmentIds);
    } else await seedIntents(ds, backlog, await ctx.emulator.call<string>('investorId'));
    const seedMs = performance.now() - t0;
    const apps = await Promise.all(
      Array.from({ length: processes }, (_, i) =>
        startApp(ctx, db, {
          listen: false,
          webhooks: what === 'dispatch',
          dispatch: !together,
          recovery: what === 'intents' && !together,
          instanceId: `bench-${i}-${randomUUID().slice(0, 8)}`,
          listenerReadsInvestment,
        }),
      ),
    );
    const load = startCpuMeter({
      app: apps.map((a) => a.app.process.pid!),
      emulator: ctx.emulator.process.pid,
    });
    try {
      const kind = what === 'dispatch' ? 'dispatch' : 'intents';
      if (together) await Promise.all(apps.map((a) => a.app.call('drainNow', { what })));
      if (processes === 1 && !together) {
        const stats = await apps[0]!.app.call<{ count: number; firstAt: number; lastAt: number }>(
          'waitEvents',
          { kind, target: sample, timeoutMs: 900_000 },
        );
        const perRowMs = (stats.lastAt - stats.firstAt) / Math.max(1, stats.count - 1);
        return {
          perRowMs,
          rowsPerSecond: 1000 / perRowMs,
          processed: stats.count,
          seedMs,
          load: await load(),
        };
      }
      // Several processes: wait until the whole backlog is settled, then take the span from the
      // first event in any process to the last one.
      const table = what === 'dispatch' ? 'cashlink_webhook_inbox' : 'cashlink_intents';
      const deadline = Date.now() + 120_000;
      while ((await countPending(ds, table)) > 0) {
        if (Date.now() > deadline) throw new Error(`${table}: backlog not drained in time`);
        await new Promise((r) => setTimeout(r, 50));
      }
      const measured = load();
      const counts = await Promise.all(
        apps.map((a) =>
          a.app.call<{
            dispatched: { count: number; firstAt: number; lastAt: number };
            settled: { count: number; firstAt: number; lastAt: number };
          }>('counts'),
        ),
      );
      const per = counts.map((c) => (what === 'dispatch' ? c.dispatched : c.settled));
      const processed = per.reduce((n, c) => n + c.count, 0);
      const first = Math.min(...per.filter((c) => c.count > 0).map((c) => c.firstAt));
      const last = Math.max(...per.map((c) => c.lastAt));
      const perRowMs = (last - first) / Math.max(1, processed - 1);
      ctx.log(`    ${processes} processes: ${per.map((c) => c.count).join(' + ')} rows`);
      return { perRowMs, rowsPerSecond: 1000 / perRowMs, processed, seedMs, load: measured };
    } finally {
      await Promise.all(apps.map((a) => a.app.stop()));
    }
  });
}

/**
 * Backlog scaling: per-row cost of dispatch and recovery at a small and a large backlog, each timed
 * over its full drain (so that a claim that slows as the table empties or fills is in the figure), the
 * two sizes alternated round by round like the other cases; medians of the rounds.
 */
export async function backlogScaling(ctx: BenchContext): Promise<ResultRow[]> {
  const s = ctx.sizes;
  const out: ResultRow[] = [];
  for (const what of ['dispatch', 'intents'] as const) {
    const smalls: Array<Awaited<ReturnType<typeof drain>>> = [];
    const larges: typeof smalls = [];
    for (let r = 0; r < s.backlogRounds; r++) {
      const order = r % 2 === 0 ? (['small', 'large'] as const) : (['large', 'small'] as const);
      for (const size of order) {
        const backlog = size === 'small' ? s.backlogSmall : s.backlogLarge;
        (size === 'small' ? smalls : larges).push(await drain(ctx, what, backlog, backlog, 1));
        await ctx.emulator.call('reset');
      }
      ctx.log(
        `  backlog ${what} round ${r + 1}: ${smalls.at(-1)!.perRowMs.toFixed(4)} ms/row at ${s.backlogSmall}, ${larges.at(-1)!.perRowMs.toFixed(4)} ms/row at ${s.backlogLarge} (full drains; seeded in ${(larges.at(-1)!.seedMs / 1000).toFixed(1)} s)`,
      );
    }
    const small = { ...smalls[0]!, perRowMs: median(smalls.map((x) => x.perRowMs)) };
    const large = { ...larges[0]!, perRowMs: median(larges.map((x) => x.perRowMs)) };
    small.rowsPerSecond = 1000 / small.perRowMs;
    large.rowsPerSecond = 1000 / large.perRowMs;
    out.push(
      ...rows(
        ctx,
        `backlog ${what === 'dispatch' ? 'dispatch (inbox)' : 'recovery (intents)'}`,
        'per-row cost at large <= 1.5x small',
        [
          {
            metric: `ms/row at ${s.backlogLarge} (vs ${s.backlogSmall})`,
            value: large.perRowMs,
            baseline: small.perRowMs,
            check: (r) => r !== null && r <= 1.5,
          },
        ],
        {
          rounds: s.backlogRounds,
          processedSmall: small.processed,
          processedLarge: large.processed,
          rowsPerSecondSmall: small.rowsPerSecond,
          rowsPerSecondLarge: large.rowsPerSecond,
        },
      ),
    );
  }
  return out;
}

/** Latency of every investment POST in the second instances run of the recovery (a remote Cashlink). */
const REMOTE_LATENCY_MS = 20;

/**
 * Instances (Postgres): draining a backlog with 2 app processes vs 1, for dispatch and for recovery.
 * Each runs twice: against the emulator as it is (about 1 ms per call: the processes compete for the 2
 * cores with it and Postgres; printed, not judged: the machine is the limit there), and against a
 * remote Cashlink that answers after REMOTE_LATENCY_MS (judged: each process waits on the network, and
 * the second one adds its own lanes). In the dispatch runs at latency the listener reads the changed
 * investment from Cashlink, as an app that acts on a status change does.
 */
export async function instances(ctx: BenchContext): Promise<ResultRow[]> {
  const s = ctx.sizes;
  const out: ResultRow[] = [];
  const remoteBacklog = Math.min(s.instancesBacklog, 2000);
  const runs = [
    { what: 'dispatch', latencyMs: 0, backlog: s.instancesBacklog },
    { what: 'dispatch', latencyMs: REMOTE_LATENCY_MS, backlog: Math.min(s.instancesBacklog, 1000) },
    { what: 'intents', latencyMs: 0, backlog: s.instancesBacklog },
    { what: 'intents', latencyMs: REMOTE_LATENCY_MS, backlog: remoteBacklog },
  ] as const;
  for (const { what, latencyMs, backlog } of runs) {
    const remote = latencyMs > 0;
    const reads = what === 'dispatch' && remote;
    await ctx.emulator.call('latency', { ms: latencyMs, reads });
    let one: Awaited<ReturnType<typeof drain>>;
    let two: Awaited<ReturnType<typeof drain>>;
    try {
      one = await drain(ctx, what, backlog, backlog, 1, true, reads);
      two = await drain(ctx, what, backlog, backlog, 2, true, reads);
    } finally {
      await ctx.emulator.call('latency', { ms: 0 });
    }
    await ctx.emulator.call('reset');
    const label =
      (what === 'dispatch' ? 'instances dispatch (inbox)' : 'instances recovery (intents)') +
      (latencyMs > 0 ? `, Cashlink ${latencyMs} ms` : '');
    ctx.log(
      `  ${label}: 1 process ${one.rowsPerSecond.toFixed(0)} rows/s, 2 processes ${two.rowsPerSecond.toFixed(0)} rows/s\n` +
        `    1 process:   ${describeShares(one.load)}\n    2 processes: ${describeShares(two.load)}`,
    );
    out.push(
      ...rows(
        ctx,
        label,
        '2 processes >= 1.6x',
        [
          {
            metric: `rows/s, 2 processes (vs 1), ${backlog} backlog`,
            value: two.rowsPerSecond,
            baseline: one.rowsPerSecond,
            ...(remote ? { check: (r: number | null) => r !== null && r >= 1.6 } : {}),
          },
        ],
        { processedOne: one.processed, processedTwo: two.processed, loadOne: one.load, loadTwo: two.load },
      ),
    );
  }
  return out;
}

/** Rows in `bench_effects` (the events case's handlers write one per change). */
async function countEffects(ds: DataSource): Promise<number> {
  const rows = (await ds.query('SELECT COUNT(*) AS n FROM bench_effects')) as Array<{ n: unknown }>;
  return Number(rows[0]!.n);
}

/**
 * Ingest + dispatch with a handler that inserts one row per change: a transactional
 * `@OnCashlinkEvent` handler (its insert and its delivery mark in one transaction: exactly once) against
 * today's plain `@OnEvent` listener (at least once), each on a fresh database and app, alternating, in
 * the same run. The figure is changes stored and handled per second over the load window plus the drain
 * after it (until every stored change has its row).
 */
export async function eventsCase(ctx: BenchContext): Promise<ResultRow[]> {
  const measure = (handler: 'plain' | 'transactional') =>
    withDatabase(ctx.kind, async (db, ds) => {
      const id = ctx.kind === 'postgres' ? 'SERIAL PRIMARY KEY' : 'INTEGER PRIMARY KEY AUTOINCREMENT';
      await ds.query(
        `CREATE TABLE bench_effects (id ${id}, inbox_id VARCHAR(36) NOT NULL, status VARCHAR(64) NOT NULL)`,
      );
      const { app, port } = await startApp(ctx, db, { listen: true, dispatch: true, handler });
      try {
        const result = await runLoad({
          url: `http://127.0.0.1:${port}/${WEBHOOK_PATH}`,
          method: 'POST',
          headers: { authorization: `Bearer ${BENCH_WEBHOOK_TOKEN}` },
          body: () =>
            JSON.stringify({
              investment_id: randomUUID(),
              status: 'ACCEPTED',
              changed_at: new Date().toISOString(),
            }),
          connections: ctx.sizes.webhookConnections,
          durationMs: ctx.sizes.webhookDurationMs,
        });
        // Every change stored (answered or still in flight when the window closed).
        const stored = Number(
          ((await ds.query('SELECT COUNT(*) AS n FROM cashlink_webhook_inbox')) as Array<{ n: unknown }>)[0]!
            .n,
        );
        const drainStarted = performance.now();
        while ((await countEffects(ds)) < stored) {
          if (performance.now() - drainStarted > 180_000) throw new Error(`${handler}: not drained in 180 s`);
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        const drainMs = performance.now() - drainStarted;
        const handled = await countEffects(ds);
        return {
          rps: result.rps,
          errors: result.errors,
          handledPerS: (handled / (result.elapsedMs + drainMs)) * 1000,
          handled,
          stored,
          drainMs,
        };
      } finally {
        await app.stop();
      }
    });
  const plain: Array<Awaited<ReturnType<typeof measure>>> = [];
  const tx: Array<Awaited<ReturnType<typeof measure>>> = [];
  for (let r = 0; r < ctx.sizes.rounds; r++) {
    plain.push(await measure('plain'));
    tx.push(await measure('transactional'));
    const p = plain.at(-1)!;
    const t = tx.at(-1)!;
    ctx.log(
      `  events round ${r + 1}: plain listener ${p.handledPerS.toFixed(0)} handled/s (${p.stored} stored, drained in ${p.drainMs.toFixed(0)} ms, ${p.handled} rows); ` +
        `transactional ${t.handledPerS.toFixed(0)} handled/s (${t.stored} stored, drained in ${t.drainMs.toFixed(0)} ms, ${t.handled} rows)`,
    );
  }
  const errors = [...plain, ...tx].reduce((n, x) => n + x.errors, 0);
  const exact = tx.every((x) => x.handled === x.stored);
  return rows(
    ctx,
    'events: ingest + dispatch, transactional handler vs plain listener',
    'ratio >= 0.8',
    [
      {
        metric: 'stored + handled/s',
        value: median(tx.map((x) => x.handledPerS)),
        baseline: median(plain.map((x) => x.handledPerS)),
        check: (ratio) => ratio !== null && ratio >= 0.8 && errors === 0 && exact,
      },
      {
        metric: 'ingest req/s',
        value: median(tx.map((x) => x.rps)),
        baseline: median(plain.map((x) => x.rps)),
      },
    ],
    { plain, transactional: tx, errors, exactlyOneRowPerChange: exact },
  );
}

/**
 * Durable create with encryption at rest (the default: every request, answer and error sealed with
 * AES-256-GCM) against the same app with `encryption: false`, in one run: two apps on two databases
 * of the same kind, measured round by round in alternating order (neither always runs first).
 */
export async function encryptionCost(ctx: BenchContext): Promise<ResultRow[]> {
  return withDatabase(ctx.kind, (sealedDb) =>
    withDatabase(ctx.kind, async (clearDb) => {
      await ctx.emulator.call('reset');
      await ctx.emulator.call('seedInvestments', { count: 1 });
      const investorId = await ctx.emulator.call<string>('investorId');
      const sealed = await startApp(ctx, sealedDb, { listen: false, webhooks: false });
      const clear = await startApp(ctx, clearDb, { listen: false, webhooks: false, encryption: false });
      try {
        // The local emulator answers at once: the app is CPU-bound, and the seals' CPU shows in full.
        const local = await encryptionPairs(ctx, { sealed: sealed.app, clear: clear.app }, investorId, 0);
        // A remote Cashlink (as in production): what encryption costs a caller who waits for Cashlink.
        await ctx.emulator.call('latency', { ms: ENCRYPTION_REMOTE_LATENCY_MS });
        let remote: ResultRow[];
        try {
          remote = await encryptionPairs(
            ctx,
            { sealed: sealed.app, clear: clear.app },
            investorId,
            ENCRYPTION_REMOTE_LATENCY_MS,
          );
        } finally {
          await ctx.emulator.call('latency', { ms: 0 });
        }
        return [...local, ...remote];
      } finally {
        await Promise.all([sealed.app.stop(), clear.app.stop()]);
      }
    }),
  );
}

/** The encryption case's second series: every investment POST answered after this many ms. */
const ENCRYPTION_REMOTE_LATENCY_MS = 20;

/**
 * Pairs of windows of durable creates, the encrypting app and the clear one back to back in alternating
 * order, after one uncounted window each; rows judged on the median of the per-pair ratios.
 */
async function encryptionPairs(
  ctx: BenchContext,
  apps: { sealed: BenchChild; clear: BenchChild },
  investorId: string,
  latencyMs: number,
): Promise<ResultRow[]> {
  const s = ctx.sizes;
  // Twice as many pairs of half the length as the other cases' rounds: a pair's two windows are
  // closer in time, so the machine's load of the moment weighs on both alike.
  const pairs = s.rounds * 2;
  const windowMs = s.callDurationMs / 2;
  const series = { sealed: [] as RoundStats[], clear: [] as RoundStats[] };
  // The app's CPU per create (ms): what encryption adds, less exposed to the machine's other load.
  const cpu = { sealed: [] as number[], clear: [] as number[] };
  // BENCH_PROFILE_WINDOWS=<dir>: a CPU profile of each app per round, to compare them function by function.
  const profileDir = process.env.BENCH_PROFILE_WINDOWS;
  const where = latencyMs > 0 ? `, Cashlink ${latencyMs} ms` : '';
  let round = 0;
  const window = (app: BenchChild) =>
    app.call<RoundStats>('create', {
      n: s.createCalls,
      investorId,
      concurrency: s.concurrency,
      raw: false,
      maxDurationMs: windowMs,
    });
  const create = async (which: 'sealed' | 'clear') => {
    const app = apps[which];
    if (profileDir) await app.call('profileStart');
    const stop = startCpuMeter({ app: [app.process.pid!] });
    const stats = await window(app);
    cpu[which].push(stats.rps > 0 ? (stop().cores.app * 1000) / stats.rps : Number.NaN);
    if (profileDir) {
      mkdirSync(profileDir, { recursive: true });
      const file = `${ctx.kind}-encryption${latencyMs > 0 ? `-${latencyMs}ms` : ''}-r${round}-${which}-${stats.requests}req.cpuprofile`;
      await app.call('profileStop', { file: join(profileDir, file) });
    }
    return stats;
  };
  // One window of each first, not counted: the first window of an app pays for its JIT warm-up.
  for (const which of ['sealed', 'clear'] as const) await window(apps[which]);
  for (let r = 0; r < pairs; r++) {
    round = r + 1;
    const order = r % 2 === 0 ? (['sealed', 'clear'] as const) : (['clear', 'sealed'] as const);
    for (const which of order) series[which].push(await create(which));
    ctx.log(
      `  durable create${where} encrypted vs clear pair ${r + 1}: ${series.sealed.at(-1)!.rps.toFixed(0)} vs ${series.clear.at(-1)!.rps.toFixed(0)} req/s, ` +
        `app CPU ${cpu.sealed.at(-1)!.toFixed(3)} vs ${cpu.clear.at(-1)!.toFixed(3)} ms per create`,
    );
  }
  const errors = [...series.sealed, ...series.clear].reduce((n, x) => n + x.errors, 0);
  // On a shared machine the throughput of whole rounds swings by a factor of 3 with the load of the
  // moment: the target is judged on the ratio within each pair (both apps measured back to back, in
  // alternating order), the median over the pairs; the medians of each series are for information.
  const paired = median(series.sealed.map((x, i) => x.rps / series.clear[i]!.rps));
  return rows(
    ctx,
    `durable create${where}, encrypted vs encryption: false`,
    'ratio >= 0.95',
    [
      {
        metric: 'req/s ratio per pair (median)',
        value: paired,
        baseline: 1,
        check: (r) => r !== null && r >= 0.95 && errors === 0,
      },
      {
        metric: 'req/s',
        value: median(series.sealed.map((x) => x.rps)),
        baseline: median(series.clear.map((x) => x.rps)),
      },
      {
        metric: 'p50 ms',
        value: median(series.sealed.map((x) => x.p50Ms)),
        baseline: median(series.clear.map((x) => x.p50Ms)),
      },
      {
        metric: 'p99 ms',
        value: median(series.sealed.map((x) => x.p99Ms)),
        baseline: median(series.clear.map((x) => x.p99Ms)),
      },
      { metric: 'app CPU ms per create', value: median(cpu.sealed), baseline: median(cpu.clear) },
    ],
    { calls: s.createCalls, concurrency: s.concurrency, pairs, windowMs, latencyMs, errors },
  );
}
