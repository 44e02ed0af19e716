/**
 * Where the CPU went during a measured window, per process group: the app processes under test, the
 * emulator, Postgres (every process named `postgres`: its backends, WAL writer, checkpointer), and
 * this bench process (the load generator). Read from /proc (Linux); elsewhere only the machine total
 * from os.cpus() is known and the groups read 0.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';

export interface CpuShares {
  /** 0..1 of all cores busy over the window. */
  machineBusy: number;
  /** Cores used by each group over the window (1 = one core busy all along). */
  cores: { app: number; emulator: number; postgres: number; bench: number };
}

/** Clock ticks per second of /proc/<pid>/stat (USER_HZ: 100 on Linux). */
const TICKS_PER_SECOND = 100;

function ticksOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]); // utime + stime
  } catch {
    return 0; // exited, or no /proc
  }
}

function postgresPids(): number[] {
  try {
    return readdirSync('/proc')
      .filter((name) => /^\d+$/.test(name))
      .map(Number)
      .filter((pid) => {
        try {
          return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'postgres';
        } catch {
          return false;
        }
      });
  } catch {
    return [];
  }
}

function machineTimes(): { total: number; idle: number } {
  return cpus().reduce(
    (acc, c) => ({
      total: acc.total + c.times.user + c.times.nice + c.times.sys + c.times.idle + c.times.irq,
      idle: acc.idle + c.times.idle,
    }),
    { total: 0, idle: 0 },
  );
}

/**
 * Starts a window; the returned function ends it and answers the shares. Postgres backends that
 * start or end inside the window are counted from when they are seen (a backend's CPU before the
 * window started is subtracted only if it existed then).
 */
export function startCpuMeter(pids: { app: number[]; emulator?: number }): () => CpuShares {
  const sum = (list: number[]) => list.reduce((n, pid) => n + ticksOf(pid), 0);
  const pgAtStart = new Map(postgresPids().map((pid) => [pid, ticksOf(pid)]));
  const start = {
    app: sum(pids.app),
    emulator: pids.emulator ? ticksOf(pids.emulator) : 0,
    bench: ticksOf(process.pid),
    machine: machineTimes(),
    wall: performance.now(),
  };
  return () => {
    const seconds = (performance.now() - start.wall) / 1000;
    const cores = (ticks: number) => Math.round((ticks / TICKS_PER_SECOND / seconds) * 100) / 100;
    let postgres = 0;
    for (const pid of postgresPids()) postgres += ticksOf(pid) - (pgAtStart.get(pid) ?? 0);
    const machine = machineTimes();
    const total = machine.total - start.machine.total;
    return {
      machineBusy: Math.round((total > 0 ? 1 - (machine.idle - start.machine.idle) / total : 0) * 100) / 100,
      cores: {
        app: cores(sum(pids.app) - start.app),
        emulator: cores(pids.emulator ? ticksOf(pids.emulator) - start.emulator : 0),
        postgres: cores(postgres),
        bench: cores(ticksOf(process.pid) - start.bench),
      },
    };
  };
}

/** `machine 93 % busy: app 1.10, postgres 0.45, emulator 0.02, bench 0.30 cores`. */
export function describeShares(shares: CpuShares): string {
  const c = shares.cores;
  return `machine ${Math.round(shares.machineBusy * 100)} % busy: app ${c.app}, postgres ${c.postgres}, emulator ${c.emulator}, bench ${c.bench} cores`;
}
