/**
 * `npm run bench`: the cost of safety, measured against raw baselines in the same run.
 *
 *   node -r @swc-node/register bench/run.ts [--quick] [--db sqlite,postgres] [--rounds N]
 *                                           [--cases webhook,client,encryption,backlog,instances,events] [--out FILE]
 *
 * Starts the emulator (own process) and Nest apps using the library (own processes) on a fresh
 * database per run, runs every case on SQLite and Postgres, prints one table with each figure beside
 * its same-run baseline and the ratio (medians of several rounds), and writes the same as JSON under
 * bench/results/. See bench/README.md.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import type { EmulatorInfo } from './lib/bench-constants';
import {
  backlogScaling,
  clientCases,
  encryptionCost,
  eventsCase,
  instances,
  webhookIngest,
  type BenchSizes,
  type ResultRow,
} from './lib/cases';
import { BenchChild } from './lib/child';
import { probePostgres, probeSqlite, type CommitCost } from './lib/commit-probe';
import {
  createBenchDatabase,
  postgresAvailable,
  SQLITE_SYNCHRONOUS,
  SQLITE_WAL,
  type DatabaseKind,
} from './lib/databases';
import { describeMachine } from './lib/machine';

const FULL: BenchSizes = {
  rounds: 5,
  webhookDurationMs: 2500,
  webhookConnections: 50,
  readCalls: 100_000,
  createCalls: 100_000,
  concurrency: 16,
  callDurationMs: 3000,
  singleFlightCalls: 1000,
  paginationItems: 100_000,
  pageSize: 100,
  backlogSmall: 1000,
  backlogLarge: 100_000,
  backlogRounds: 2,
  instancesBacklog: 10_000,
};

/** Tiny sizes: for the smoke test that keeps the harness from rotting (numbers mean nothing). */
const QUICK: BenchSizes = {
  rounds: 1,
  webhookDurationMs: 300,
  webhookConnections: 8,
  readCalls: 50,
  createCalls: 30,
  concurrency: 4,
  callDurationMs: 2000,
  singleFlightCalls: 50,
  paginationItems: 450,
  pageSize: 100,
  backlogSmall: 40,
  backlogLarge: 200,
  backlogRounds: 2,
  instancesBacklog: 100,
};

const CASES = ['webhook', 'client', 'encryption', 'backlog', 'instances', 'events'] as const;
type CaseName = (typeof CASES)[number];

function parseArgs(argv: string[]) {
  const get = (name: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const quick = argv.includes('--quick');
  const sizes = { ...(quick ? QUICK : FULL) };
  const rounds = get('rounds');
  if (rounds) sizes.rounds = Number(rounds);
  const dbs = (get('db') ?? 'sqlite,postgres').split(',') as DatabaseKind[];
  const cases = (get('cases') ?? CASES.join(',')).split(',') as CaseName[];
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const out = get('out') ?? join(__dirname, 'results', `bench-${quick ? 'quick-' : ''}${stamp}.json`);
  return { quick, sizes, dbs, cases, out };
}

function fmt(n: number | null): string {
  if (n === null) return '-';
  if (Math.abs(n) >= 100) return n.toFixed(0);
  if (Math.abs(n) >= 1) return n.toFixed(2);
  return n.toFixed(3);
}

export function renderTable(rows: ResultRow[]): string {
  const header = ['case', 'db', 'metric', 'library', 'baseline', 'ratio', 'target', 'met'];
  const body = rows.map((r) => [
    r.case,
    r.db,
    r.metric,
    fmt(r.value),
    fmt(r.baseline),
    fmt(r.ratio),
    r.target,
    r.pass === null ? '' : r.pass ? 'yes' : 'NO',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)].join('\n');
}

export async function runBench(
  argv: string[],
  log: (line: string) => void = (l) => process.stdout.write(`${l}\n`),
) {
  const { quick, sizes, dbs, cases, out } = parseArgs(argv);
  const machine = describeMachine();
  const started = Date.now();
  log(`nestjs-cashlink benchmarks${quick ? ' (quick: tiny sizes, numbers mean nothing)' : ''}`);
  log(
    `machine: ${machine.cpuModel}, ${machine.cores} cores, ${machine.memoryGb} GB, Node ${machine.node}, ${machine.os}`,
  );
  const kinds: DatabaseKind[] = [];
  for (const kind of dbs) {
    if (kind === 'postgres' && !(await postgresAvailable())) {
      log('postgres: not reachable, its cases are skipped (set CASHLINK_TEST_POSTGRES_URL)');
      continue;
    }
    kinds.push(kind);
  }

  // The floor under every durable write on this machine: what one commit costs.
  const commitCost: Partial<Record<DatabaseKind, CommitCost>> = {};
  for (const kind of kinds) {
    if (kind === 'sqlite') commitCost.sqlite = probeSqlite();
    else {
      const db = await createBenchDatabase('postgres');
      try {
        if (db.options.type === 'postgres') commitCost.postgres = await probePostgres(db.options);
      } finally {
        await db.drop();
      }
    }
  }
  const commitLine = Object.entries(commitCost)
    .map(
      ([k, c]) =>
        `${k === 'sqlite' ? `sqlite (${SQLITE_WAL ? 'WAL' : 'rollback journal'}, synchronous FULL)` : k} ${c.perCommitMs.toFixed(2)} ms per commit (${c.perGroupedInsertMs.toFixed(2)} ms per insert when 50 share one)`,
    )
    .join('; ');
  log(`commit cost: ${commitLine}`);

  const emulator = BenchChild.start('emulator-process.ts');
  const rows: ResultRow[] = [];
  try {
    const emulatorInfo = await emulator.call<EmulatorInfo>('start');
    for (const kind of kinds) {
      const ctx = { kind, sizes, emulator, emulatorInfo, log };
      log(`\n[${kind}]`);
      // A case that fails (e.g. a library change in progress) is reported in the table; the others still run.
      const attempt = async (name: string, run: () => Promise<ResultRow[]>) => {
        try {
          rows.push(...(await run()));
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          log(`  ${name} FAILED: ${message}`);
          rows.push({
            case: name,
            db: kind,
            metric: `failed: ${message.split('\n')[0]!.slice(0, 60)}`,
            value: Number.NaN,
            baseline: null,
            ratio: null,
            target: 'runs',
            pass: false,
          });
        }
      };
      if (cases.includes('webhook')) {
        // The issue's case: an instance that receives (dispatch.enabled: false; another one dispatches).
        await attempt('webhook ingest', () => webhookIngest(ctx, false));
        // The default set-up: the same process also dispatches what it receives (no target: see webhookIngest).
        await attempt('webhook ingest + dispatch, one process', () => webhookIngest(ctx, true));
      }
      if (cases.includes('client')) await attempt('client cases', () => clientCases(ctx));
      if (cases.includes('encryption')) await attempt('encryption', () => encryptionCost(ctx));
      if (cases.includes('backlog')) await attempt('backlog scaling', () => backlogScaling(ctx));
      if (cases.includes('instances') && kind === 'postgres')
        await attempt('instances', () => instances(ctx));
      if (cases.includes('events')) await attempt('events', () => eventsCase(ctx));
    }
  } finally {
    await emulator.stop();
  }

  const elapsedS = (Date.now() - started) / 1000;
  const table = renderTable(rows);
  log('');
  log(
    `machine: ${machine.cpuModel}, ${machine.cores} cores, Node ${machine.node}; sqlite journal: ${SQLITE_WAL ? `WAL, synchronous ${SQLITE_SYNCHRONOUS}` : 'rollback'}; rounds: ${sizes.rounds} (medians); total ${elapsedS.toFixed(0)} s`,
  );
  log(table);
  mkdirSync(join(__dirname, 'results'), { recursive: true });
  const report = {
    date: new Date().toISOString(),
    machine,
    commitCost,
    sqliteJournal: SQLITE_WAL ? 'wal' : 'rollback',
    sqliteSynchronous: SQLITE_WAL ? SQLITE_SYNCHRONOUS : 'FULL',
    loadAverage: loadavg(),
    quick,
    sizes,
    elapsedS,
    rows,
  };
  writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
  log(`\nJSON: ${out}`);
  return report;
}

if (require.main === module) {
  runBench(process.argv.slice(2)).then(
    (report) =>
      process.exit(report.rows.length > 0 && report.rows.every((r) => !Number.isNaN(r.value)) ? 0 : 1),
    (error: unknown) => {
      process.stderr.write(
        `bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      );
      process.exit(1);
    },
  );
}
