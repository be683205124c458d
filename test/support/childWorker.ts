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
  ledgerFlushMs?: number;
  /** Shifts the process's clock (`Date.now()`, `new Date()`) by this much; negative: slow. */
  clockSkewMs?: number;
}

export function startChildWorker(
  options: ChildWorkerOptions = {},
): Promise<{ child: ChildProcess; workerId: string }> {
  const skew = options.clockSkewMs ? ["--import", skewedClock] : [];
  const args = [...skew, script, testDatabaseUrl(), "2000", String(options.ledgerFlushMs ?? 10)];
  const child = spawn(process.execPath, args, {
    stdio: ["ignore", "pipe", "inherit"],
    env: { ...process.env, CLOCK_SKEW_MS: String(options.clockSkewMs ?? 0) },
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
