/**
 * Where a CPU profile's time went: self time per package (or file of this repository) and per
 * function. With two profiles (e.g. the baseline's and the library's window of one webhook round,
 * from `BENCH_PROFILE_WINDOWS=<dir> npm run bench -- --cases webhook`), the two side by side and the
 * difference, in µs per request when the file names carry the request count (`-<n>req.cpuprofile`).
 *
 *   node -r @swc-node/register bench/profile-summary.ts <a.cpuprofile> [<b.cpuprofile>] [--top 30]
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

interface Summary {
  /** µs of self time by package / file, and by function. */
  groups: Map<string, number>;
  functions: Map<string, number>;
  totalUs: number;
  /** Requests answered in the window (from the file name), or null. */
  requests: number | null;
}

/** `node_modules/<pkg>` (scoped too), `node:<module>`, a repository path, or a V8 pseudo-frame. */
function groupOf(url: string, functionName: string): string {
  if (!url) return `(${functionName || 'native'})`;
  const inModules = url.lastIndexOf('node_modules/');
  if (inModules >= 0) {
    const parts = url.slice(inModules + 'node_modules/'.length).split('/');
    return parts[0]!.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!;
  }
  if (url.startsWith('node:')) return url;
  const repo = url.replace(/^file:\/\//, '').replace(/^.*?\/(libs|bench|src|test)\//, '$1/');
  return repo;
}

function summarise(file: string): Summary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const groups = new Map<string, number>();
  const functions = new Map<string, number>();
  let totalUs = 0;
  profile.samples.forEach((id, i) => {
    const us = profile.timeDeltas[i] ?? 0;
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    if (functionName === '(idle)') return; // waiting, not working
    totalUs += us;
    const group = groupOf(url, functionName);
    groups.set(group, (groups.get(group) ?? 0) + us);
    const fn = `${functionName || '(anonymous)'} ${group}:${lineNumber + 1}`;
    functions.set(fn, (functions.get(fn) ?? 0) + us);
  });
  const requests = /-(\d+)req\.cpuprofile$/.exec(basename(file));
  return { groups, functions, totalUs, requests: requests ? Number(requests[1]) : null };
}

function report(title: string, pick: (s: Summary) => Map<string, number>, summaries: Summary[], top: number) {
  const perRequest = summaries.every((s) => s.requests);
  const unit = perRequest ? 'µs/req' : 'ms';
  const value = (s: Summary, us: number) => (perRequest ? us / s.requests! : us / 1000);
  const keys = new Set(summaries.flatMap((s) => [...pick(s).keys()]));
  const rows = [...keys].map((key) => {
    const values = summaries.map((s) => value(s, pick(s).get(key) ?? 0));
    return { key, values, sortBy: summaries.length === 2 ? values[1]! - values[0]! : values[0]! };
  });
  rows.sort((a, b) => Math.abs(b.sortBy) - Math.abs(a.sortBy));
  const header = summaries.length === 2 ? `${unit}: a, b, b - a` : unit;
  process.stdout.write(`\n${title} (${header})\n`);
  for (const row of rows.slice(0, top)) {
    const cells = row.values.map((v) => v.toFixed(1).padStart(8));
    if (summaries.length === 2)
      cells.push(`${row.sortBy >= 0 ? '+' : ''}${row.sortBy.toFixed(1)}`.padStart(8));
    process.stdout.write(`${cells.join(' ')}  ${row.key}\n`);
  }
}

const args = process.argv.slice(2);
const topAt = args.indexOf('--top');
const top = topAt >= 0 ? Number(args[topAt + 1]) : 30;
const files = args.filter((a, i) => !a.startsWith('--') && (topAt < 0 || i !== topAt + 1));
if (files.length === 0 || files.length > 2) {
  process.stderr.write('usage: bench/profile-summary.ts <a.cpuprofile> [<b.cpuprofile>] [--top N]\n');
  process.exit(2);
}
const summaries = files.map(summarise);
summaries.forEach((s, i) =>
  process.stdout.write(
    `${i === 0 ? 'a' : 'b'}: ${files[i]}: ${(s.totalUs / 1000).toFixed(0)} ms busy` +
      (s.requests ? `, ${s.requests} requests, ${(s.totalUs / s.requests).toFixed(1)} µs/req` : '') +
      '\n',
  ),
);
report('by package / file', (s) => s.groups, summaries, top);
report('by function', (s) => s.functions, summaries, top);
