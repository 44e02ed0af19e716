/**
 * The library as users get it: `npm run build`, `npm pack`, install the tarball (and the peers) into a fresh
 * minimal Nest project outside the repository, compile it with strict tsc, boot it against the emulator from
 * the installed package's `/testing` entry, and make calls. With PostgreSQL the consumer runs the durable
 * path (TypeORM, the packaged migrations, an intent per write); without, persistence is off.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createTestDatabase, isPostgresAvailable, type TestDatabase } from '../support/databases';
import { REPO_ROOT } from './support/demo-process';

const run = promisify(execFile);

// npm install from the local cache is the slow part.
jest.setTimeout(6 * 60_000);

/** Installed version of a workspace package: the consumer installs the same ones, found in npm's cache. */
function installedVersion(name: string): string {
  return (
    JSON.parse(readFileSync(join(REPO_ROOT, 'node_modules', name, 'package.json'), 'utf8')) as {
      version: string;
    }
  ).version;
}

async function sh(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env) {
  try {
    return await run(command, args, { cwd, env, maxBuffer: 64 * 1024 * 1024 });
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(
      `${command} ${args.join(' ')} failed in ${cwd}:\n${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`,
      { cause: error },
    );
  }
}

interface BuiltPackage {
  name: string;
  version: string;
  main: string;
  types: string;
  exports: Record<string, { types: string; default: string }>;
  engines: { node: string };
  dependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
}

describe('the installable package (npm run build, npm pack, install, strict tsc, boot)', () => {
  let work: string;
  let db: TestDatabase | undefined;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'cashlink-consumer-'));
    if (isPostgresAvailable()) db = await createTestDatabase('postgres');
  });
  afterAll(async () => {
    await db?.drop();
    rmSync(work, { recursive: true, force: true });
  });

  it('builds a package with both entries, typings, dependencies and peers', async () => {
    const { stdout } = await sh('npm', ['run', 'build'], REPO_ROOT);
    expect(stdout).toContain('no unexpected imports');
    const pkg = JSON.parse(
      readFileSync(join(REPO_ROOT, 'dist', 'nestjs-cashlink', 'package.json'), 'utf8'),
    ) as BuiltPackage;
    expect(pkg.name).toBe('nestjs-cashlink');
    expect(pkg.exports['.']).toEqual({ types: './index.d.ts', default: './index.js' });
    expect(pkg.exports['./testing']).toEqual({
      types: './testing/index.d.ts',
      default: './testing/index.js',
    });
    expect(pkg.engines.node).toBe('>=20.19');
    expect(Object.keys(pkg.peerDependencies).sort()).toEqual(
      [
        '@nestjs/common',
        '@nestjs/core',
        '@nestjs/event-emitter',
        '@nestjs/typeorm',
        'reflect-metadata',
        'rxjs',
        'typeorm',
      ].sort(),
    );
    for (const name of ['undici', 'dinero.js', 'busboy', 'jose'])
      expect(pkg.dependencies[name]).toBeDefined();
    for (const name of Object.keys(pkg.dependencies)) expect(name.startsWith('@nestjs/')).toBe(false);
  });

  it('installs into a fresh Nest project outside the repo, compiles strictly and runs against the emulator', async () => {
    const { stdout: packed } = await sh(
      'npm',
      ['pack', join(REPO_ROOT, 'dist', 'nestjs-cashlink'), '--pack-destination', work, '--json'],
      REPO_ROOT,
    );
    const tarball = (JSON.parse(packed) as Array<{ filename: string }>)[0]?.filename as string;
    expect(tarball).toMatch(/^nestjs-cashlink-.*\.tgz$/);

    const app = join(work, 'app');
    mkdirSync(join(app, 'src'), { recursive: true });
    const peers = [
      '@nestjs/common',
      '@nestjs/core',
      '@nestjs/typeorm',
      '@nestjs/event-emitter',
      'typeorm',
      'reflect-metadata',
      'rxjs',
      'pg',
    ];
    writeFileSync(
      join(app, 'package.json'),
      JSON.stringify(
        {
          name: 'cashlink-consumer',
          version: '1.0.0',
          private: true,
          dependencies: {
            'nestjs-cashlink': `file:../${tarball}`,
            ...Object.fromEntries(peers.map((name) => [name, installedVersion(name)])),
          },
          devDependencies: {
            typescript: installedVersion('typescript'),
            '@types/node': installedVersion('@types/node'),
          },
        },
        null,
        2,
      ),
    );
    copyFileSync(join(__dirname, 'fixtures', 'consumer-app', 'tsconfig.json'), join(app, 'tsconfig.json'));
    copyFileSync(join(__dirname, 'fixtures', 'consumer-app', 'main.ts'), join(app, 'src', 'main.ts'));

    await sh('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], app);
    const installed = JSON.parse(
      readFileSync(join(app, 'node_modules', 'nestjs-cashlink', 'package.json'), 'utf8'),
    ) as BuiltPackage;
    expect(installed.name).toBe('nestjs-cashlink');

    await sh(
      process.execPath,
      [join(app, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'],
      app,
    );

    const env: NodeJS.ProcessEnv = { ...process.env };
    delete env.DATABASE_URL;
    if (db) env.DATABASE_URL = db.url;
    const { stdout } = await sh(process.execPath, ['dist/main.js'], app, env);
    const line = stdout.split('\n').find((l) => l.startsWith('RESULT '));
    expect(line).toBeDefined();
    const result = JSON.parse((line as string).slice('RESULT '.length)) as Record<string, unknown>;
    expect(result).toMatchObject({
      durable: db !== undefined,
      price: '100.000',
      sameInvestorOnRepeat: true,
      investorsAtEmulator: 1,
      effectsOfKey: 1,
      isCashlinkError: true,
    });
  });
});
