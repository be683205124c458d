/**
 * The fault suite's worker processes and their supervisor: it keeps `size` of them running,
 * starting a fresh one for every process that exits or is killed (once the database is there
 * to start against), sends them signals and remembers every signal it sent, so that each exit
 * can be told apart: a kill, a planned recycle, the end of the run — or a death of something
 * else.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream } from "node:fs";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const script = fileURLToPath(new URL("./workerProcess.ts", import.meta.url));

/** Lines of a process's output kept to say what it died of. */
const TAIL_LINES = 30;

export interface WorkerProcess {
  /** 1 for the first process started, and so on. */
  number: number;
  pid: number;
  child: ChildProcess;
  startedAt: number;
  readyAt?: number;
  exit?: { at: number; code: number | null; signal: NodeJS.Signals | null };
  /** It logged that it recycles (a planned exit). */
  recycling: boolean;
  /** Signals the supervisor sent it, in order. */
  signalsSent: { signal: NodeJS.Signals; at: number }[];
  /** Stopped with SIGSTOP and not yet continued. */
  paused: boolean;
  /** Held by a fault in progress: other faults leave it alone. */
  reserved: boolean;
  /** Asked to stop at the end of the run. */
  stoppedAtEnd: boolean;
  logFile: string;
  tail: string[];
}

export type ExitKind = "killed" | "killed by the poison job" | "recycled" | "stopped at the end";

export interface FleetOptions {
  size: number;
  /** The whole environment of a worker process. */
  env: NodeJS.ProcessEnv;
  logDir: string;
  progress: (message: string) => void;
}

export class Fleet {
  readonly processes: WorkerProcess[] = [];
  readonly #options: FleetOptions;
  #databaseUp = true;
  #pendingStarts = 0;
  #ending = false;

  constructor(options: FleetOptions) {
    this.#options = options;
  }

  /** Starts the first `size` processes and waits until they serve jobs. */
  async start(): Promise<void> {
    for (let i = 0; i < this.#options.size; i++) this.#spawn();
    await this.ready(60_000);
  }

  /** Processes that have not exited. */
  live(): WorkerProcess[] {
    return this.processes.filter((p) => !p.exit);
  }

  /** Processes that serve jobs and no fault holds: ready, not paused, not being stopped. */
  serving(): WorkerProcess[] {
    return this.live().filter(
      (p) =>
        p.readyAt !== undefined &&
        !p.paused &&
        !p.reserved &&
        !p.signalsSent.some((s) => s.signal === "SIGKILL" || s.signal === "SIGTERM"),
    );
  }

  /** Waits until every live process serves jobs and no start is pending. */
  async ready(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.#pendingStarts > 0 || this.live().some((p) => p.readyAt === undefined)) {
      if (Date.now() > deadline) {
        throw new Error(`worker processes not ready within ${timeoutMs / 1000} s`);
      }
      await sleep(100);
    }
  }

  signal(worker: WorkerProcess, signal: NodeJS.Signals): void {
    worker.signalsSent.push({ signal, at: Date.now() });
    if (signal === "SIGSTOP") worker.paused = true;
    if (signal === "SIGCONT") worker.paused = false;
    worker.child.kill(signal);
  }

  /** False while the database is held down. */
  get databaseAvailable(): boolean {
    return this.#databaseUp;
  }

  /** The database is going away: replacements wait until it is back. */
  databaseDown(): void {
    this.#databaseUp = false;
  }

  databaseUp(): void {
    this.#databaseUp = true;
    for (; this.#pendingStarts > 0; this.#pendingStarts--) this.#spawn();
  }

  /** Stops every process (SIGTERM, then SIGKILL after `graceMs`); none is replaced. */
  async stop(graceMs: number): Promise<void> {
    this.#ending = true;
    for (const worker of this.live()) {
      worker.stoppedAtEnd = true;
      if (worker.paused) this.signal(worker, "SIGCONT");
      this.signal(worker, "SIGTERM");
    }
    const deadline = Date.now() + graceMs;
    while (this.live().length > 0 && Date.now() < deadline) await sleep(100);
    for (const worker of this.live()) this.signal(worker, "SIGKILL");
    while (this.live().length > 0) await sleep(50);
  }

  /** Kills what is left at once (on an error or an interrupt). */
  killAll(): void {
    this.#ending = true;
    for (const worker of this.live()) {
      worker.stoppedAtEnd = true;
      worker.child.kill("SIGKILL");
    }
  }

  /**
   * Why a process exited, or undefined for a death of something else. `poisonPids`: the
   * processes in which the poison task ran.
   */
  exitKind(worker: WorkerProcess, poisonPids: Set<number>): ExitKind | undefined {
    const { exit } = worker;
    if (!exit) return undefined;
    if (worker.stoppedAtEnd) return "stopped at the end";
    const sent = (signal: NodeJS.Signals) => worker.signalsSent.some((s) => s.signal === signal);
    if (exit.signal === "SIGKILL" && sent("SIGKILL")) return "killed";
    if (exit.signal === "SIGKILL" && poisonPids.has(worker.pid)) return "killed by the poison job";
    if (exit.code === 0 && worker.recycling) return "recycled";
    return undefined;
  }

  #spawn(): void {
    const number = this.processes.length + 1;
    const child = spawn(process.execPath, [script], {
      env: this.#options.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const pid = child.pid as number;
    const logFile = path.join(this.#options.logDir, `worker-${number}-${pid}.log`);
    const log = createWriteStream(logFile);
    const worker: WorkerProcess = {
      number,
      pid,
      child,
      startedAt: Date.now(),
      recycling: false,
      signalsSent: [],
      paused: false,
      reserved: false,
      stoppedAtEnd: false,
      logFile,
      tail: [],
    };
    this.processes.push(worker);
    for (const stream of [child.stdout, child.stderr]) {
      if (!stream) continue;
      createInterface({ input: stream }).on("line", (line) => {
        log.write(`${line}\n`);
        worker.tail.push(line);
        if (worker.tail.length > TAIL_LINES) worker.tail.shift();
        const message = messageOf(line);
        if (message.includes("fault worker ready")) worker.readyAt ??= Date.now();
        if (/recycl/i.test(message)) worker.recycling = true;
      });
    }
    child.on("exit", (code, signal) => {
      worker.exit = { at: Date.now(), code, signal };
      if (this.#ending) return;
      const kind = this.exitKind(worker, new Set());
      this.#options.progress(
        `worker #${number} (pid ${pid}) exited (${signal ?? `code ${code}`})` +
          (kind ? `: ${kind}` : "") +
          "; starting a replacement",
      );
      if (this.#databaseUp) this.#spawn();
      else this.#pendingStarts++;
    });
    child.on("close", () => log.end());
  }
}

/** The message of a JSON log line, or the line itself. */
function messageOf(line: string): string {
  try {
    const parsed = JSON.parse(line) as { msg?: unknown };
    return typeof parsed.msg === "string" ? parsed.msg : line;
  } catch {
    return line;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
