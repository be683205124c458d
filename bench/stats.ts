/** Small numeric and formatting helpers for the benchmark report. */

export function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Nearest-rank percentile, `p` in 0..100. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1] as number;
}

export function round(value: number, digits = 0): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

export interface Row {
  phase: string;
  jobs: number | string;
  seconds: number | string;
  perSecond: number | string;
  settings: string;
}

/** A plain-text table with aligned columns; `labels` renames the header's columns. */
export function formatTable(rows: Row[], labels: Partial<Record<keyof Row, string>> = {}): string {
  const header: Row = {
    phase: "phase",
    jobs: "jobs",
    seconds: "seconds",
    perSecond: "jobs/s",
    settings: "settings",
    ...labels,
  };
  const cells = [header, ...rows].map((row) => [
    String(row.phase),
    String(row.jobs),
    typeof row.seconds === "number" ? row.seconds.toFixed(2) : row.seconds,
    typeof row.perSecond === "number" ? Math.round(row.perSecond).toString() : row.perSecond,
    row.settings,
  ]);
  const widths = [0, 1, 2, 3].map((i) => Math.max(...cells.map((c) => (c[i] as string).length)));
  const line = (c: string[]) =>
    [
      (c[0] as string).padEnd(widths[0] as number),
      (c[1] as string).padStart(widths[1] as number),
      (c[2] as string).padStart(widths[2] as number),
      (c[3] as string).padStart(widths[3] as number),
      c[4],
    ].join("  ");
  const rule = widths.map((w) => "-".repeat(w)).join("  ");
  return [line(cells[0] as string[]), `${rule}  --------`, ...cells.slice(1).map(line)].join("\n");
}

/** A positive integer setting of the benchmark from the environment, or `fallback`. */
export function intFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) {
    throw new Error(`${name} must be a positive integer, got ${JSON.stringify(raw)}`);
  }
  return value;
}

/** Runs a bench's `main`: exit 0 when it is done, 1 with the error's stack when it fails. */
export function runBench(main: () => Promise<void>): void {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(
        `bench failed: ${error instanceof Error ? error.stack : String(error)}\n`,
      );
      process.exit(1);
    },
  );
}
