/**
 * CPU per call of the library against a raw client, in this process: `n` calls at concurrency 16 per
 * window, a warm-up window each, then 5 rounds alternated (raw first); this process's CPU time per call,
 * medians. `ONLY=lib` or `ONLY=raw` (environment) runs one side alone, so that a profile holds that side
 * only. Used by bench/read-cpu.ts and bench/create-cpu.ts.
 */
export async function compareCpuPerCall(
  n: number,
  lib: () => Promise<unknown>,
  raw: () => Promise<unknown>,
): Promise<{ lib: number; raw: number }> {
  const concurrency = 16;
  const only = process.env.ONLY;
  const window = async (fn: () => Promise<unknown>) => {
    let i = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (i++ < n) await fn();
      }),
    );
  };
  if (only !== 'raw') await window(lib);
  if (only !== 'lib') await window(raw);
  const res: { lib: number[]; raw: number[] } = { lib: [], raw: [] };
  for (let r = 0; r < 5; r++) {
    for (const [name, fn] of [
      ['raw', raw],
      ['lib', lib],
    ] as const) {
      if (only && only !== name) continue;
      const c0 = process.cpuUsage();
      await window(fn);
      const c = process.cpuUsage(c0);
      res[name].push((c.user + c.system) / n);
    }
  }
  const med = (a: number[]) => a.sort((x, y) => x - y)[Math.floor(a.length / 2)] ?? Number.NaN;
  return { lib: med(res.lib), raw: med(res.raw) };
}
