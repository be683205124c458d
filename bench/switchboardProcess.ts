/**
 * Switchboard commands run as their own processes by the benchmarks, as in production: each is
 * started with `bin/switchboard.js`, ready once it has logged that it is, and stopped with
 * SIGTERM. Its peak memory is read from /proc (Linux).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export interface SwitchboardProcess {
  child: ChildProcess;
  /** The log line that said it was ready. */
  readyLine: string;
  /** Sends SIGTERM and resolves once the process has exited. */
  stop(): Promise<void>;
}

/**
 * Starts `switchboard <args>` with `env` over the current environment, and resolves once a
 * line of its stdout (JSON logs at LOG_LEVEL info) matches `ready`.
 */
export function startSwitchboard(
  args: string[],
  env: Record<string, string>,
  ready: RegExp,
): Promise<SwitchboardProcess> {
  const bin = fileURLToPath(new URL("../bin/switchboard.js", import.meta.url));
  const child = spawn(process.execPath, [bin, ...args], {
    env: { ...process.env, LOG_LEVEL: "info", ...env },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    await exited;
  };
  return new Promise((resolve, reject) => {
    let buffered = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      buffered += chunk.toString();
      const line = buffered.split("\n").find((candidate) => ready.test(candidate));
      if (line) {
        buffered = "";
        child.stdout?.removeAllListeners("data");
        child.stdout?.resume();
        resolve({ child, readyLine: line, stop });
      }
    });
    child.once("exit", (code) =>
      reject(new Error(`switchboard ${args.join(" ")} exited with ${code}`)),
    );
  });
}

/** `switchboard api` on a free port; `base` is its `http://host:port`. */
export async function startApi(
  env: Record<string, string>,
): Promise<SwitchboardProcess & { base: string }> {
  const api = await startSwitchboard(["api"], { PORT: "0", ...env }, /"API listening"/);
  const base = /"url":"(http:\/\/[^"]+)"/.exec(api.readyLine)?.[1];
  if (!base) throw new Error(`no url in the API's ready line: ${api.readyLine}`);
  return { ...api, base };
}

/**
 * The Node.js options a `reports` worker is deployed with (README, "Exports"): a 1 MB
 * semi-space for the young generation, which keeps an export's peak resident memory about 70 MB
 * lower.
 */
export const reportsWorkerNodeOptions = "--max-semi-space-size=1";

/** `switchboard worker --type <type>`; a `reports` worker launched as it is deployed. */
export function startWorkerProcess(
  type: string,
  env: Record<string, string>,
): Promise<SwitchboardProcess> {
  const launch = type === "reports" ? { NODE_OPTIONS: reportsWorkerNodeOptions, ...env } : env;
  return startSwitchboard(["worker", "--type", type], launch, /"worker started"/);
}

/** The peak resident memory of a live process so far (VmHWM), in bytes. */
export function peakRssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kib = /^VmHWM:\s+(\d+) kB$/m.exec(status)?.[1];
  if (!kib) throw new Error(`no VmHWM in /proc/${pid}/status`);
  return Number(kib) * 1024;
}
