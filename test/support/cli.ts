/** Runs the `switchboard` CLI as a child process, as a user would. */
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

export const binPath = fileURLToPath(new URL("../../bin/switchboard.js", import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Environment for a child: the parent's, minus settings a test must choose itself. */
export function childEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const base = { ...process.env };
  for (const name of ["DATABASE_URL", "PORT", "HOST", "EMBEDDED_POSTGRES_DIR", "WORKER_TYPE"]) {
    delete base[name];
  }
  return { ...base, LOG_LEVEL: "info", ...env };
}

export function runCli(
  args: string[],
  env: Record<string, string>,
  options: { cwd?: string; input?: string } = {},
): Promise<CliResult> {
  const { input, ...spawnOptions } = options;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [binPath, ...args], {
      env: childEnv(env),
      ...spawnOptions,
    });
    if (input !== undefined) child.stdin.end(input);
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

export interface LongRunning {
  child: ChildProcess;
  output(): string;
  /** Waits for a JSON log line whose `msg` is `message`; returns it. */
  waitForLog(message: string, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** Sends `signal` and waits for the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export function startCli(
  args: string[],
  env: Record<string, string>,
  options: { cwd?: string } = {},
): LongRunning {
  const child = spawn(process.execPath, [binPath, ...args], { env: childEnv(env), ...options });
  let output = "";
  const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
  child.stdout.on("data", (chunk) => (output += chunk));
  child.stderr.on("data", (chunk) => (output += chunk));
  const findLog = (message: string) =>
    output
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .find((line) => line.msg === message);
  return {
    child,
    output: () => output,
    waitForLog: async (message, timeoutMs = 60_000) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const line = findLog(message);
        if (line) return line;
        if (child.exitCode !== null) throw new Error(`exited before "${message}":\n${output}`);
        if (Date.now() > deadline)
          throw new Error(`no "${message}" within ${timeoutMs} ms:\n${output}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    stop: async (signal = "SIGTERM") => {
      if (child.exitCode === null) child.kill(signal);
      return exited;
    },
  };
}
