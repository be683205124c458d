/** Worker processes of their own (test/support/fixtures/workerProcess.ts), killed after each test. */
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterEach } from "vitest";
import { testDatabaseUrl } from "./database.ts";

const script = fileURLToPath(new URL("./fixtures/workerProcess.ts", import.meta.url));
const skewedClock = new URL("./fixtures/skewedClock.ts", import.meta.url).href;
const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill("SIGKILL");
});

export interface ChildWorkerOptions {
  /** The database it serves (default: this test file's). */
  databaseUrl?: string;
  ledgerFlushMs?: number;
  /** Milliseconds its running jobs get to finish when it stops (default 30 s). */
  shutdownGraceMs?: number;
  /** Shifts the process's clock (`Date.now()`, `new Date()`) by this much; negative: slow. */
  clockSkewMs?: number;
}

export function startChildWorker(
  options: ChildWorkerOptions = {},
): Promise<{ child: ChildProcess; workerId: string }> {
  const skew = options.clockSkewMs ? ["--import", skewedClock] : [];
  const args = [
    ...skew,
    script,
    options.databaseUrl ?? testDatabaseUrl(),
    "2000",
    String(options.ledgerFlushMs ?? 10),
  ];
  const child = spawn(process.execPath, args, {
    stdio: ["ignore", "pipe", "inherit"],
    env: {
      ...process.env,
      CLOCK_SKEW_MS: String(options.clockSkewMs ?? 0),
      SHUTDOWN_GRACE_MS: String(options.shutdownGraceMs ?? 30_000),
    },
  });
  children.push(child);
  return new Promise((resolve, reject) => {
    let output = "";
    child.stdout?.on("data", (chunk) => {
      output += chunk;
      const match = /ready (\S+)/.exec(output);
      if (match) resolve({ child, workerId: match[1] as string });
    });
    child.on("exit", (code) => reject(new Error(`worker exited early (${code}): ${output}`)));
  });
}

/** How a child process ended. */
export function exitOf(
  child: ChildProcess,
): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null)
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
}
