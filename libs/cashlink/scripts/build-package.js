// Builds the installable package `nestjs-cashlink` into dist/nestjs-cashlink (`npm run build`):
// compiled CommonJS + .d.ts of libs/cashlink/src (plain tsc with libs/cashlink/tsconfig.lib.json), then a
// package.json whose `dependencies` are exactly the third-party packages the compiled code requires (with
// the workspace's version ranges, so the two never drift), and a check that the public typings reach no
// module a user would not expect (no HTTP-client type may cross the public API).
'use strict';

const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { builtinModules } = require('node:module');

const root = path.resolve(__dirname, '../../..');
const outDir = path.join(root, 'dist', 'nestjs-cashlink');
const workspace = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const ranges = { ...workspace.devDependencies, ...workspace.dependencies };

/** Provided by the host app: one copy of Nest, TypeORM and the event bus must be shared with it. */
const PEERS = [
  '@nestjs/common',
  '@nestjs/core',
  '@nestjs/typeorm',
  '@nestjs/event-emitter',
  'typeorm',
  'reflect-metadata',
  'rxjs',
  // One OpenTelemetry API shared with the app's SDK (the OpenTelemetry guidance for instrumented
  // libraries); without an SDK registered it is a no-op. The platform packages are not peers: the
  // controller reaches the request and response through duck typing, on Express and Fastify alike.
  '@opentelemetry/api',
];
/** Always shipped, whatever the compiled code's require() scan finds. */
const ALWAYS = [];
/** What the public typings (.d.ts closure of both entries) may import. Everything else is a leak. */
// Not undici: the one class that uses it (http/undici-transport.ts) sits behind an abstract class, so no
// public declaration reaches it.
const TYPINGS_ALLOWED = new Set([
  '@nestjs/common',
  '@nestjs/core',
  '@nestjs/typeorm',
  '@nestjs/event-emitter',
  'typeorm',
  'rxjs',
  'dinero.js',
  'dinero.js/bigint',
  'dinero.js/bigint/currencies',
]);

function fail(message) {
  process.stderr.write(`build-package: ${message}\n`);
  process.exit(1);
}

function packageName(specifier) {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

function isBuiltin(specifier) {
  return specifier.startsWith('node:') || builtinModules.includes(packageName(specifier));
}

function walk(dir, suffix, files = []) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) walk(full, suffix, files);
    else if (entry.name.endsWith(suffix)) files.push(full);
  }
  return files;
}

// 1. Compile.
fs.rmSync(outDir, { recursive: true, force: true });
execFileSync(
  process.execPath,
  [require.resolve('typescript/bin/tsc'), '-p', path.join(root, 'libs/cashlink/tsconfig.lib.json')],
  { stdio: 'inherit', cwd: root },
);
for (const entry of [
  'index.js',
  'index.d.ts',
  'testing/index.js',
  'testing/index.d.ts',
  'ops/index.js',
  'ops/index.d.ts',
]) {
  if (!fs.existsSync(path.join(outDir, entry))) fail(`the compiled output has no ${entry}`);
}

// 2. Runtime dependencies: every bare `require(...)` of the compiled code.
const required = new Set();
for (const file of walk(outDir, '.js')) {
  const source = fs.readFileSync(file, 'utf8');
  for (const match of source.matchAll(/require\("([^"./][^"]*)"\)/g)) {
    if (!isBuiltin(match[1])) required.add(packageName(match[1]));
  }
  if (/require\("nestjs-cashlink/.test(source)) {
    fail(`${path.relative(outDir, file)} requires the package by its own name; import by relative path`);
  }
}
const dependencies = {};
for (const name of [...ALWAYS, ...[...required].sort()]) {
  if (PEERS.includes(name)) continue;
  if (!ranges[name]) fail(`the library requires "${name}", which the workspace package.json does not list`);
  dependencies[name] = ranges[name];
}
// The OpenTelemetry API keeps compatibility within 1.x and apps pin their own minor: a caret range
// from the tested version, where the workspace pins a tilde range for itself.
const PEER_RANGES = { '@opentelemetry/api': `^${String(ranges['@opentelemetry/api']).replace(/^[~^]/, '')}` };
const peerDependencies = Object.fromEntries(PEERS.map((name) => [name, PEER_RANGES[name] ?? ranges[name]]));

// 3. The public typings: follow the import graph of both entries' .d.ts files.
const leaks = [];
const seen = new Set();
const queue = [
  path.join(outDir, 'index.d.ts'),
  path.join(outDir, 'testing', 'index.d.ts'),
  path.join(outDir, 'ops', 'index.d.ts'),
];
while (queue.length > 0) {
  const file = queue.pop();
  if (seen.has(file)) continue;
  seen.add(file);
  const raw = fs.readFileSync(file, 'utf8');
  // Comments (JSDoc examples show imports) do not count; `/// <reference types>` does.
  const references = [...raw.matchAll(/reference types="([^"]+)"/g)].map((m) => m[1]);
  const source = raw.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const specifiers = [
    ...references,
    ...[
      ...source.matchAll(
        /\bfrom\s+["']([^"']+)["']|\bimport\s*\(\s*["']([^"']+)["']|^\s*import\s+["']([^"']+)["']/gm,
      ),
    ].map((m) => m[1] ?? m[2] ?? m[3]),
  ];
  for (const specifier of specifiers) {
    if (specifier.startsWith('.')) {
      const base = path.resolve(path.dirname(file), specifier).replace(/\.js$/, '');
      const next = [`${base}.d.ts`, path.join(base, 'index.d.ts')].find((f) => fs.existsSync(f));
      if (next) queue.push(next);
    } else if (!isBuiltin(specifier) && specifier !== 'node' && !TYPINGS_ALLOWED.has(specifier)) {
      leaks.push(`${path.relative(outDir, file)} imports "${specifier}"`);
    }
  }
}
if (leaks.length > 0) fail(`the public typings import unexpected modules:\n  ${leaks.join('\n  ')}`);

// 4. package.json and docs.
const pkg = {
  name: 'nestjs-cashlink',
  version: workspace.version,
  description:
    'NestJS library for the Cashlink distributor API: OAuth client credentials, durable idempotent writes, exact money, documents, pagination and authenticated webhooks; with a local Cashlink emulator for tests.',
  license: workspace.license,
  keywords: ['nestjs', 'cashlink', 'ewpg', 'crypto-securities', 'idempotency', 'webhooks'],
  main: './index.js',
  types: './index.d.ts',
  exports: {
    '.': { types: './index.d.ts', default: './index.js' },
    './testing': { types: './testing/index.d.ts', default: './testing/index.js' },
    './ops': { types: './ops/index.d.ts', default: './ops/index.js' },
    './package.json': './package.json',
  },
  typesVersions: { '*': { testing: ['./testing/index.d.ts'], ops: ['./ops/index.d.ts'] } },
  engines: { node: '>=20.19' },
  dependencies,
  peerDependencies,
};
fs.writeFileSync(path.join(outDir, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);
fs.copyFileSync(path.join(root, 'README.md'), path.join(outDir, 'README.md'));

const files = walk(outDir, '.d.ts').length;
process.stdout.write(
  `build-package: dist/nestjs-cashlink (${files} declaration files; dependencies: ${
    Object.keys(dependencies).join(', ') || 'none'
  }; typings checked: ${seen.size} files, no unexpected imports)\n`,
);
