import { nowMs } from './emulator-http';
import type { EmulatorRequestLogEntry } from './emulator.types';

/** The request log: one entry per request, oldest first, capped at `maxEntries`. */
export class EmulatorRequestLog {
  private entries: EmulatorRequestLogEntry[] = [];
  private seq = 0;

  constructor(private readonly maxEntries: number) {}

  /** Opens an entry; the pipeline fills in route, key, fault, status and end time as it goes. */
  start(method: string, path: string): EmulatorRequestLogEntry {
    this.seq += 1;
    const entry: EmulatorRequestLogEntry = {
      seq: this.seq,
      method,
      path,
      status: 0,
      effect: false,
      replayed: false,
      startedAt: nowMs(),
      endedAt: 0,
    };
    this.entries.push(entry);
    // Trim in batches so that a long benchmark does not pay O(n) per request.
    if (this.entries.length > this.maxEntries * 2) this.entries = this.entries.slice(-this.maxEntries);
    return entry;
  }

  /** Copies of the entries (the live ones keep changing while requests run). */
  all(): EmulatorRequestLogEntry[] {
    return this.entries.map((entry) => ({ ...entry }));
  }

  reset(): void {
    this.entries = [];
    this.seq = 0;
  }
}
