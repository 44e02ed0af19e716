/**
 * Runs the demo as a user does — `npm start` in the repository, as a child process — and reads what it
 * prints. Each run gets its own data folder and a free port (PORT=0; the app prints its URL).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

export const REPO_ROOT = join(__dirname, '..', '..', '..');

/** Variables of the developer's shell that would point the demo elsewhere than the embedded default. */
const ISOLATE = [
  'PORT',
  'HOST',
  'DATABASE_URL',
  'DEMO_DATA_DIR',
  'DEMO_SCENARIO',
  'DEMO_PUBLIC_URL',
  'DEMO_LOG_LEVEL',
  'DEMO_PLATFORM',
  'EMULATOR_PORT',
  'CASHLINK_ENVIRONMENT',
  'CASHLINK_BASE_URL',
  'CASHLINK_TOKEN_URL',
  'CASHLINK_CLIENT_ID',
  'CASHLINK_CLIENT_SECRET',
  'CASHLINK_WEBHOOK_TOKENS',
  'CASHLINK_WEBHOOK_TOKEN',
  'CASHLINK_WEBHOOK_CLIENT_ID',
  'CASHLINK_WEBHOOK_CLIENT_SECRET',
  'CASHLINK_ENCRYPTION_KEYS',
  'CASHLINK_ENCRYPTION_ACTIVE_KEY_ID',
];

export class DemoProcess {
  private output = '';
  private exited: Promise<number | null>;
  private readonly child: ChildProcess;

  constructor(args: string[], env: Record<string, string>, cwd = REPO_ROOT) {
    const base = { ...process.env };
    for (const name of ISOLATE) delete base[name];
    this.child = spawn('npm', ['start', ...(args.length > 0 ? ['--', ...args] : [])], {
      cwd,
      env: { ...base, PORT: '0', ...env },
      // Its own process group: npm starts node as a child, and stop() must reach both.
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout?.on('data', (chunk: Buffer) => (this.output += chunk.toString('utf8')));
    this.child.stderr?.on('data', (chunk: Buffer) => (this.output += chunk.toString('utf8')));
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
  }

  /** Everything printed so far (stdout and stderr). */
  get printed(): string {
    return this.output;
  }

  /** Waits until the output matches, failing early (with the output) if the process ends first. */
  async waitFor(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    let ended = false;
    void this.exited.then(() => (ended = true));
    for (;;) {
      const match = this.output.match(pattern);
      if (match) return match;
      if (ended) throw new Error(`the demo exited before printing ${pattern}:\n${this.output}`);
      if (Date.now() > deadline)
        throw new Error(`the demo did not print ${pattern} in time:\n${this.output}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** The URL the app printed when it started listening. */
  async url(timeoutMs = 60_000): Promise<string> {
    const match = await this.waitFor(/listening on (http:\/\/\S+)/, timeoutMs);
    return match[1] as string;
  }

  /** SIGTERM to the process group (a graceful Nest shutdown), SIGKILL if it does not end in time. */
  async stop(): Promise<number | null> {
    const pid = this.child.pid;
    if (pid === undefined || this.child.exitCode !== null || this.child.signalCode !== null)
      return this.exited;
    const signal = (name: NodeJS.Signals) => {
      try {
        process.kill(-pid, name);
      } catch {
        // already gone
      }
    };
    signal('SIGTERM');
    const timer = setTimeout(() => signal('SIGKILL'), 10_000);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }
}

/** GET (or POST) a JSON answer from the running demo. */
export async function getJson<T = unknown>(url: string): Promise<{ status: number; body: T }> {
  const response = await fetch(url);
  return { status: response.status, body: (await response.json()) as T };
}
