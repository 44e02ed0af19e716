/**
 * Keeps `npm run bench` from rotting: runs the harness with tiny sizes on SQLite (real emulator and
 * Nest app processes, real HTTP) and checks the shape of its output and the figures that are
 * guarantees rather than speeds. No timing is asserted: performance belongs to bench/.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runBench } from '../../bench/run';

jest.setTimeout(90_000);

describe('npm run bench (quick, SQLite)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cashlink-bench-smoke-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('runs every SQLite case, prints one table with baselines and ratios, and writes the JSON', async () => {
    const out = join(dir, 'bench.json');
    const lines: string[] = [];
    const report = await runBench(
      ['--quick', '--db', 'sqlite', '--cases', 'webhook,client,backlog', '--out', out],
      (line) => lines.push(line),
    );

    expect(report.rows.map((row) => row.case)).toEqual(
      expect.arrayContaining([
        'webhook ingest',
        'webhook ingest + dispatch, one process',
        'read call (vs undici.request)',
        'read call (vs fetch)',
        'durable create (vs undici.request)',
        'durable create (vs fetch)',
        'token single flight',
        'pagination',
        'backlog dispatch (inbox)',
        'backlog recovery (intents)',
      ]),
    );
    for (const row of report.rows) {
      expect(row.db).toBe('sqlite');
      expect(Number.isFinite(row.value)).toBe(true);
    }
    // Every figure that has a baseline shows it and the ratio.
    for (const row of report.rows.filter((r) => r.metric === 'req/s')) {
      expect(row.baseline).toBeGreaterThan(0);
      expect(row.ratio).not.toBeNull();
    }
    // Guarantees, not speeds: one token request for the concurrent first calls, no failed call.
    expect(report.rows.find((r) => r.case === 'token single flight')?.value).toBe(1);
    for (const row of report.rows.filter((r) => r.detail && 'errors' in r.detail)) {
      expect(row.detail?.errors).toBe(0);
    }
    // Read and create are judged against the faster raw client of the run; the other row informs.
    for (const name of ['read call', 'durable create']) {
      const perSecond = report.rows.filter((r) => r.case.startsWith(`${name} (vs`) && r.metric === 'req/s');
      expect(perSecond).toHaveLength(2);
      const judged = perSecond.filter((r) => r.target !== '');
      expect(judged).toHaveLength(1);
      expect(judged[0]!.baseline).toBe(Math.max(...perSecond.map((r) => r.baseline ?? 0)));
    }
    const pagination = report.rows.find((r) => r.case === 'pagination' && r.metric.startsWith('ms for'));
    expect(pagination?.detail?.items).toBe(450);

    const table = lines.join('\n');
    expect(table).toContain('| case');
    expect(table).toMatch(/machine: .+ cores, .*Node v\d+/);
    expect(table).toContain('commit cost: sqlite');
    const json = JSON.parse(readFileSync(out, 'utf8')) as { rows: unknown[]; machine: { cores: number } };
    expect(json.rows).toHaveLength(report.rows.length);
    expect(json.machine.cores).toBeGreaterThan(0);
  });
});
