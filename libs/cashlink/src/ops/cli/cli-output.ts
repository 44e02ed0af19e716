/** What a command prints: a table or JSON on stdout (the CLI's product, not a log line). */
export function print(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

export function printJson(value: unknown): void {
  print(JSON.stringify(value, null, 2));
}

/** A plain aligned table: one header row, then the rows. */
export function table(headers: string[], rows: Array<Array<string | number | null | undefined>>): string {
  const cells = [headers, ...rows.map((r) => r.map((c) => (c === null || c === undefined ? '' : String(c))))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells
    .map((r) =>
      r
        .map((c, i) => (c ?? '').padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** A positive whole number option, or a usage error. */
export function parseCount(value: string, name: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1)
    throw new CliUsageError(`${name} must be a positive whole number`);
  return Number(value);
}

/** A command was called wrongly: exit code 2, like commander's own usage errors. */
export class CliUsageError extends Error {
  readonly exitCode = 2;
}
