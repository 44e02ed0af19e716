/**
 * Child processes for the benchmarks (the emulator, the apps under test), driven over Node's IPC
 * channel with a tiny request/answer protocol. Each piece gets its own process so that the load
 * generator, the emulator and the app do not share one event loop.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';

interface Call {
  id: number;
  command: string;
  args: unknown;
}
interface Answer {
  id: number;
  ok: boolean;
  result?: unknown;
  error?: string;
}

export class BenchChild {
  private seq = 0;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private exited = false;

  private constructor(readonly process: ChildProcess) {
    process.on('message', (message: Answer) => {
      const waiter = this.pending.get(message.id);
      if (!waiter) return;
      this.pending.delete(message.id);
      if (message.ok) waiter.resolve(message.result);
      else waiter.reject(new Error(message.error ?? 'child command failed'));
    });
    process.once('exit', (code, signal) => {
      this.exited = true;
      for (const waiter of this.pending.values()) {
        waiter.reject(new Error(`bench child exited (${code ?? signal})`));
      }
      this.pending.clear();
    });
  }

  /**
   * Forks `bench/lib/<script>` under SWC (TypeScript without a build). `BENCH_PROFILE_APP=<dir>` adds
   * `--cpu-prof` to the app processes (profiles written to <dir> when they exit), to see where the time goes.
   */
  static start(script: string, env: Record<string, string> = {}): BenchChild {
    const profileDir = process.env.BENCH_PROFILE_APP;
    const profile =
      profileDir && script.startsWith('app-') ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
    const child = fork(resolve(__dirname, script), [], {
      execArgv: ['-r', '@swc-node/register', '--expose-gc', ...profile],
      env: { ...process.env, ...env },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    return new BenchChild(child);
  }

  call<T>(command: string, args: unknown = {}): Promise<T> {
    if (this.exited) return Promise.reject(new Error('bench child has exited'));
    const id = ++this.seq;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.process.send({ id, command, args } satisfies Call);
    });
  }

  /** Asks the child to close, then waits for it to exit (killed after 10 s). */
  async stop(): Promise<void> {
    if (this.exited) return;
    const exited = new Promise<void>((resolve) => this.process.once('exit', () => resolve()));
    this.call('close').catch(() => undefined);
    const timer = setTimeout(() => this.process.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
}

/** The child side: answers calls with the given handlers; `close` runs `onClose` and exits. */
export function serveCommands(
  handlers: Record<string, (args: never) => Promise<unknown> | unknown>,
  onClose: () => Promise<void>,
): void {
  process.on('message', (message: Call) => {
    void (async () => {
      if (message.command === 'close') {
        await onClose().catch(() => undefined);
        process.send?.({ id: message.id, ok: true } satisfies Answer, () => process.exit(0));
        return;
      }
      const handler = handlers[message.command];
      try {
        if (!handler) throw new Error(`unknown command ${message.command}`);
        const result = await handler(message.args as never);
        process.send?.({ id: message.id, ok: true, result } satisfies Answer);
      } catch (error) {
        const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
        process.send?.({ id: message.id, ok: false, error: text } satisfies Answer);
      }
    })();
  });
  process.on('disconnect', () => {
    void onClose()
      .catch(() => undefined)
      .finally(() => process.exit(0));
  });
}
