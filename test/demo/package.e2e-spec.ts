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
    // The README's snippet is PostgreSQL's.
    if (!isPostgresAvailable()) throw new Error('this test needs PostgreSQL (DATABASE_URL of test/support)');
    db = await createTestDatabase('postgres');
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
        '@opentelemetry/api',
      ].sort(),
    );
    // One OpenTelemetry API shared with the app's SDK, any 1.x from the tested minor on.
    expect(pkg.peerDependencies['@opentelemetry/api']).toMatch(/^\^1\.\d+\.\d+$/);
    for (const name of ['undici', 'dinero.js', 'busboy', 'jose'])
      expect(pkg.dependencies[name]).toBeDefined();
    for (const name of Object.keys(pkg.dependencies)) expect(name.startsWith('@nestjs/')).toBe(false);
  });

  it('follows the README literally: pack, install, strict tsc, a webhook event reaches an @OnEvent listener', async () => {
    const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
    const section = readme.slice(
      readme.indexOf('## A first app in five minutes'),
      readme.indexOf('Then inject a service'),
    );
    // The section's code blocks, found by what they hold (their markers name the tests that use them).
    const blocks = [...section.matchAll(/```(\w*)\n([\s\S]*?)```/g)].map((m) => ({
      lang: m[1],
      code: m[2]!,
    }));
    const block = (lang: string, holding: string): string => {
      const found = blocks.find((b) => b.lang === lang && b.code.includes(holding));
      expect(found).toBeDefined();
      return found!.code;
    };

    // The commands: build and pack in the repository, then the two installs in the app.
    const commands = block('bash', 'npm pack').trim().split('\n');
    expect(commands).toContain(
      '(cd nestjs-cashlink && npm ci && npm run build && npm pack ./dist/nestjs-cashlink)',
    );
    const installs = commands.filter((c) => c.startsWith('npm install '));
    expect(installs).toHaveLength(2);
    expect(installs[0]).toBe('npm install ../nestjs-cashlink/nestjs-cashlink-*.tgz');
    const packages = installs[1]!.slice('npm install '.length).split(' ');

    // This checkout is the clone (already `npm ci`'d): build it and pack it as the README does.
    const { stdout: packed } = await sh(
      'npm',
      ['pack', './dist/nestjs-cashlink', '--pack-destination', work, '--json'],
      REPO_ROOT,
    );
    const tarball = (JSON.parse(packed) as Array<{ filename: string }>)[0]?.filename as string;
    expect(tarball).toMatch(/^nestjs-cashlink-.*\.tgz$/);

    // A fresh project as `nest new` leaves it: TypeScript and @types/node are already there.
    const app = join(work, 'my-app');
    mkdirSync(join(app, 'src'), { recursive: true });
    writeFileSync(
      join(app, 'package.json'),
      JSON.stringify(
        {
          name: 'my-app',
          version: '1.0.0',
          private: true,
          devDependencies: {
            typescript: installedVersion('typescript'),
            '@types/node': installedVersion('@types/node'),
          },
        },
        null,
        2,
      ),
    );
    const npmFlags = ['--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'];
    // The README's first install, with the tarball's real location.
    await sh('npm', ['install', join(work, tarball), ...npmFlags], app);
    // The README's second install, each package at the version this repository tests (found in npm's
    // cache; a user gets the latest).
    await sh(
      'npm',
      ['install', ...packages.map((name) => `${name}@${installedVersion(name)}`), ...npmFlags],
      app,
    );

    // The README's tsconfig settings, plus where the sources are.
    const { compilerOptions } = JSON.parse(block('json', 'compilerOptions')) as { compilerOptions: object };
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { ...compilerOptions, outDir: 'dist', rootDir: 'src' },
        include: ['src'],
      }),
    );
    // The README's module, with the emulator in place of `environment` (as the README says to).
    const environmentLine = "environment: 'demo', // or baseUrl + tokenUrl for a customer-specific sandbox";
    const moduleSource = block('ts', 'CashlinkModule.forRootAsync');
    expect(moduleSource).toContain(environmentLine);
    writeFileSync(
      join(app, 'src', 'app.module.ts'),
      moduleSource.replace(
        environmentLine,
        "baseUrl: config.getOrThrow<string>('CASHLINK_BASE_URL'),\n        tokenUrl: config.getOrThrow<string>('CASHLINK_TOKEN_URL'),",
      ),
    );
    copyFileSync(join(__dirname, 'fixtures', 'consumer-app', 'main.ts'), join(app, 'src', 'main.ts'));

    await sh(
      process.execPath,
      [join(app, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'],
      app,
    );

    const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: db!.url };
    const { stdout } = await sh(process.execPath, ['dist/main.js'], app, env);
    const line = stdout.split('\n').find((l) => l.startsWith('RESULT '));
    expect(line).toBeDefined();
    const result = JSON.parse((line as string).slice('RESULT '.length)) as Record<string, unknown>;
    expect(result).toMatchObject({ sameInvestorOnRepeat: true, effectsOfKey: 1 });
    expect(result.amount).toMatch(/^\d+(\.\d+)?$/);
    expect(result.eventStatus).toBe(result.eventStatusAtEmulator);
  });
});
