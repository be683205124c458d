/**
 * The worker of `switchboard start`: a child process (`switchboard worker --type all
 * --scheduler`) replaced by a fresh one whenever it exits, as it does when it recycles
 * (`WORKER_MAX_JOBS`, `WORKER_MAX_RSS_MB`); the API in this process keeps answering meanwhile.
 * A fresh process is what gives back the memory a recycle is for. The child stops with this
 * process: on a clean stop it gets SIGTERM and its grace; if this process dies, its IPC channel
 * closes and it stops by itself (src/cli/actions/worker.ts).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { Runtime } from "./runtime.ts";

const binPath = fileURLToPath(new URL("../../bin/switchboard.js", import.meta.url));
/** A child that fails sooner than this after its start counts toward the back-off. */
const HEALTHY_RUN_MS = 60_000;
const MAX_RESTART_DELAY_MS = 30_000;

export function superviseWorker(
  { config, logger, lifecycle }: Runtime,
  env: Record<string, string | undefined>,
): void {
  let child: ChildProcess | undefined;
  let restart: NodeJS.Timeout | undefined;
  let stopping = false;
  let failures = 0;

  const startChild = () => {
    const startedAt = Date.now();
    const current = spawn(
      process.execPath,
      [...process.execArgv, binPath, "worker", "--type", "all", "--scheduler"],
      { env: { ...process.env, ...env }, stdio: ["ignore", "inherit", "inherit", "ipc"] },
    );
    child = current;
    current.on("error", (error) => logger.error({ err: error }, "could not start the worker"));
    current.on("exit", (code, signal) => {
      if (stopping) return;
      const recycled = code === 0;
      failures = recycled ? 0 : Date.now() - startedAt < HEALTHY_RUN_MS ? failures + 1 : 1;
      const delayMs = recycled ? 0 : Math.min(MAX_RESTART_DELAY_MS, 1_000 * 2 ** (failures - 1));
      const details = { workerPid: current.pid, code, signal, restartInMs: delayMs };
      if (recycled) logger.info(details, "worker recycled; starting a fresh one");
      else logger.error(details, "worker exited unexpectedly; starting a fresh one");
      restart = setTimeout(startChild, delayMs);
    });
  };

  startChild();
  lifecycle.onStop(async () => {
    stopping = true;
    clearTimeout(restart);
    const current = child;
    if (!current || current.exitCode !== null || current.signalCode !== null) return;
    const exited = new Promise((resolve) => current.once("exit", resolve));
    current.kill("SIGTERM");
    // Its running jobs get SHUTDOWN_GRACE_MS; past that and a margin, it is made to go.
    const kill = setTimeout(() => current.kill("SIGKILL"), config.shutdownGraceMs + 15_000);
    await exited;
    clearTimeout(kill);
  });
}
