import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import type { CashlinkEmulator } from 'nestjs-cashlink/testing';
import { EMULATOR_CAMPAIGN_ID } from 'nestjs-cashlink/testing';
import type { TestDatabase } from '../../support/databases';

const ROOT = join(__dirname, '..', '..', '..');
const FIXTURE = join(ROOT, 'test', 'idempotency', 'fixtures', 'intent-app.ts');

/** A running fixture app in a child process. */
export interface ChildApp {
  process: ChildProcess;
  /** Resolves when the app printed READY (booted). */
  ready: Promise<void>;
  /** Resolves with the DONE summary, or rejects when the process ends without it. */
  done: Promise<Record<string, unknown>>;
  /** Resolves when the process has exited (for any reason). */
  exited: Promise<void>;
  output(): string;
  kill(): Promise<void>;
}

export function spawnIntentApp(
  db: TestDatabase,
  emu: CashlinkEmulator,
  env: {
    mode: 'create' | 'recover';
    count?: number;
    prefix?: string;
    instance?: string;
    leaseMs?: number;
    batch?: number;
    concurrency?: number;
    /** The app waits for this file to exist before it looks for work (a start barrier). */
    goFile?: string;
  },
): ChildApp {
  const child = spawn(process.execPath, ['-r', '@swc-node/register', FIXTURE], {
    cwd: ROOT,
    env: {
      ...process.env,
      INTENT_APP_DB_TYPE: db.kind === 'postgres' ? 'postgres' : 'better-sqlite3',
      INTENT_APP_DB: db.url,
      INTENT_APP_EMU_BASE_URL: emu.baseUrl,
      INTENT_APP_EMU_TOKEN_URL: emu.tokenUrl,
      INTENT_APP_CLIENT_ID: emu.clientId,
      INTENT_APP_CLIENT_SECRET: emu.clientSecret,
      INTENT_APP_CAMPAIGN_ID: EMULATOR_CAMPAIGN_ID,
      INTENT_APP_MODE: env.mode,
      INTENT_APP_COUNT: String(env.count ?? 0),
      INTENT_APP_PREFIX: env.prefix ?? 'crash',
      INTENT_APP_INSTANCE: env.instance ?? `${env.mode}-${Math.random().toString(36).slice(2, 8)}`,
      INTENT_APP_LEASE_MS: String(env.leaseMs ?? 1_000),
      INTENT_APP_BATCH: String(env.batch ?? 20),
      INTENT_APP_CONCURRENCY: String(env.concurrency ?? 5),
      ...(env.goFile ? { INTENT_APP_GO_FILE: env.goFile } : {}),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let onReady!: () => void;
  const ready = new Promise<void>((r) => (onReady = r));
  let onDone!: (v: Record<string, unknown>) => void;
  let onFail!: (e: Error) => void;
  const done = new Promise<Record<string, unknown>>((res, rej) => {
    onDone = res;
    onFail = rej;
  });
  done.catch(() => undefined);
  child.stdout!.on('data', (chunk: Buffer) => {
    out += chunk.toString();
    if (out.includes('READY\n')) onReady();
    const match = /DONE (\{.*\})\n/.exec(out);
    if (match) onDone(JSON.parse(match[1]!) as Record<string, unknown>);
  });
  child.stderr!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const exited = new Promise<void>((resolve) =>
    child.on('exit', (code, signal) => {
      onFail(new Error(`intent app exited (${signal ?? code}) without DONE:\n${out.slice(-3000)}`));
      resolve();
    }),
  );
  return {
    process: child,
    ready,
    done,
    exited,
    output: () => out,
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}
