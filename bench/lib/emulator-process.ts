// The emulator in its own process, for the benchmarks: controlled over IPC.
import { startCashlinkEmulator, type CashlinkEmulator } from 'nestjs-cashlink/testing';
import { serveCommands } from './child';

let emulator: CashlinkEmulator | undefined;

serveCommands(
  {
    start: async () => {
      emulator = await startCashlinkEmulator({ port: 0, maxLogEntries: 1000 });
      return {
        baseUrl: emulator.baseUrl,
        tokenUrl: emulator.tokenUrl,
        clientId: emulator.clientId,
        clientSecret: emulator.clientSecret,
      };
    },
    seedInvestments: ({ count, all = false }: { count: number; all?: boolean }) => {
      const ids = emulator!.seedInvestments(count);
      return { first: ids[0], count: ids.length, ...(all ? { ids } : {}) };
    },
    investorId: () => {
      if (emulator!.investors().length === 0) emulator!.seedInvestments(1);
      return emulator!.investors()[0]!.id;
    },
    tokenRequests: () => emulator!.tokenRequests(),
    investmentsCount: () => emulator!.investments().length,
    reset: () => emulator!.reset(),
    /**
     * Every investment POST (and with `reads`, every investment GET too) answered after `ms`, as a
     * remote Cashlink's latency; none when 0.
     */
    latency: ({ ms, reads = false }: { ms: number; reads?: boolean }) => {
      emulator!.clearFaults();
      if (ms <= 0) return;
      emulator!.injectFault({ route: 'POST /v2/investments/', kind: 'delay', delayMs: ms });
      if (reads) emulator!.injectFault({ route: 'GET /v2/investments/{id}/', kind: 'delay', delayMs: ms });
    },
    /** CPU time this process has used (µs), to tell whether the emulator bounds a case. */
    cpuMicros: () => {
      const { user, system } = process.cpuUsage();
      return user + system;
    },
  },
  async () => {
    await emulator?.close();
  },
);
