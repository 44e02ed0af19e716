/**
 * The library's dependencies point one way. dependency-cruiser reads every import of
 * libs/cashlink/src (type-only imports included, as they are part of what a reader must follow), and
 * this test fails on an import cycle between files, on a cycle between feature folders, and on an
 * import against the layering: the transport below auth, auth below the HTTP client, money on nothing
 * of ours, the whole options seen by the module only, nothing of the library on its own public entry,
 * the testing entry or the demo.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

jest.setTimeout(120_000);

const REPO_ROOT = join(__dirname, '..', '..');
const LIB = 'libs/cashlink/src/';

interface CruiseResult {
  modules: Array<{ source: string; dependencies: Array<{ resolved: string; circular: boolean }> }>;
}

interface Edge {
  from: string;
  to: string;
}

async function libraryImports(): Promise<Edge[]> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [
      join(REPO_ROOT, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs'),
      LIB,
      '--no-config',
      '--ts-config',
      'tsconfig.json',
      '--ts-pre-compilation-deps',
      '--do-not-follow',
      'node_modules',
      '--exclude',
      '^node_modules',
      '--output-type',
      'json',
    ],
    { cwd: REPO_ROOT, maxBuffer: 64 * 1024 * 1024 },
  );
  const result = JSON.parse(stdout) as CruiseResult;
  return result.modules
    .filter((m) => m.source.startsWith(LIB))
    .flatMap((m) =>
      m.dependencies
        .filter((d) => d.resolved.startsWith(LIB) || d.resolved.startsWith('src/'))
        .map((d) => ({ from: m.source.slice(LIB.length), to: d.resolved.replace(LIB, '') })),
    );
}

/** The unit of layering: a feature folder, or a file of the library's root (`cashlink.module`, …). */
function unit(path: string): string {
  const [first = '', ...rest] = path.split('/');
  return rest.length > 0 ? first : first.replace(/\.ts$/, '');
}

/** Every cycle of a directed graph, each reported once, as `a -> b -> … -> a`. */
function cycles(edges: Edge[]): string[] {
  const next = new Map<string, Set<string>>();
  for (const { from, to } of edges) {
    if (from === to) continue;
    if (!next.has(from)) next.set(from, new Set());
    next.get(from)!.add(to);
  }
  const found = new Set<string>();
  const visit = (node: string, path: string[]): void => {
    for (const to of next.get(node) ?? []) {
      const at = path.indexOf(to);
      if (at >= 0) {
        const loop = path.slice(at);
        const start = loop.indexOf([...loop].sort()[0]!);
        const canonical = [...loop.slice(start), ...loop.slice(0, start)];
        found.add([...canonical, canonical[0]].join(' -> '));
      } else if (path.length < 12) {
        visit(to, [...path, to]);
      }
    }
  };
  for (const node of next.keys()) visit(node, [node]);
  return [...found].sort();
}

describe('the library layers', () => {
  let edges: Edge[];
  const isSpec = (path: string) => path.endsWith('.spec.ts');

  beforeAll(async () => {
    edges = (await libraryImports()).filter((e) => !isSpec(e.from));
  });

  it('reads the imports of the library', () => {
    expect(edges.length).toBeGreaterThan(100);
    expect(edges).toContainEqual({
      from: 'http/cashlink-http.client.ts',
      to: 'auth/cashlink-auth.service.ts',
    });
  });

  it('has no import cycle between files', () => {
    expect(cycles(edges)).toEqual([]);
  });

  it('has no cycle between feature folders (nor the root files)', () => {
    expect(cycles(edges.map((e) => ({ from: unit(e.from), to: unit(e.to) })))).toEqual([]);
  });

  it('has no cycle between the transport, auth and the HTTP client', () => {
    const layered = new Set(['transport', 'auth', 'http']);
    const between = edges
      .map((e) => ({ from: unit(e.from), to: unit(e.to) }))
      .filter((e) => layered.has(e.from) && layered.has(e.to));
    expect(cycles(between)).toEqual([]);
    expect(between).not.toContainEqual({ from: 'transport', to: 'auth' });
    expect(between).not.toContainEqual({ from: 'auth', to: 'http' });
  });

  it('gives each feature its own slice of the options: only the module sees them whole', () => {
    const whole = new Set(['cashlink-module-options.interface.ts', 'resolve-cashlink-options.ts']);
    const seenWhole = edges.filter((e) => whole.has(e.to) && e.from.includes('/'));
    expect(seenWhole).toEqual([]);
    // The options toolkit and the client core's options know no feature.
    const fromOptions = edges.filter(
      (e) => unit(e.from) === 'options' && e.to.includes('/') && !/^(options|errors)\//.test(e.to),
    );
    expect(fromOptions).toEqual([]);
  });

  it('keeps money free of the rest of the library', () => {
    const out = edges.filter(
      (e) => unit(e.from) === 'money' && unit(e.to) !== 'money' && !e.to.startsWith('errors/'),
    );
    expect(out).toEqual([]);
  });

  it('never imports its own public entries or the demo from inside', () => {
    const bad = edges.filter(
      (e) =>
        e.to === 'index.ts' ||
        (e.to === 'testing/index.ts' && !e.from.startsWith('testing/')) ||
        (e.to.startsWith('testing/') && !e.from.startsWith('testing/')) ||
        e.to.startsWith('src/'),
    );
    expect(bad).toEqual([]);
  });

  it('finds a cycle when there is one (the check can fail)', () => {
    expect(
      cycles([
        { from: 'a.ts', to: 'b.ts' },
        { from: 'b.ts', to: 'c.ts' },
        { from: 'c.ts', to: 'a.ts' },
        { from: 'c.ts', to: 'd.ts' },
      ]),
    ).toEqual(['a.ts -> b.ts -> c.ts -> a.ts']);
  });
});
