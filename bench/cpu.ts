/**
 * Where a timed phase spent its CPU: the PostgreSQL server's processes (read from /proc, so only
 * for a server on this machine, Linux), this process, and optionally a child process (the API
 * server). Shown per job or request, so a gap can be put on the database or on the process.
 */
import { readdirSync, readFileSync } from "node:fs";

const TICKS_PER_SECOND = 100; // USER_HZ, 100 on every Linux this runs on

/** A process's name and CPU ticks (user + system) from /proc; undefined if it is gone. */
function procStat(pid: string): { name: string; ticks: number } | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  const commEnd = stat.lastIndexOf(")");
  // Fields after "pid (comm) ": state is the 1st, utime the 12th, stime the 13th.
  const fields = stat.slice(commEnd + 2).split(" ");
  return {
    name: stat.slice(stat.indexOf("(") + 1, commEnd),
    ticks: Number(fields[11]) + Number(fields[12]),
  };
}

/** CPU ticks used so far by each process named `postgres` on this machine; null off Linux. */
function postgresTicks(): Map<string, number> | null {
  let pids: string[];
  try {
    pids = readdirSync("/proc").filter((name) => /^\d+$/.test(name));
  } catch {
    return null;
  }
  const ticks = new Map<string, number>();
  for (const pid of pids) {
    const stat = procStat(pid); // undefined: gone since the listing
    if (stat?.name.startsWith("postgres")) ticks.set(pid, stat.ticks);
  }
  return ticks;
}

/**
 * Counts the CPU of PostgreSQL's processes from now on. Backends come and go (a pool closes an
 * idle connection), and an exited one takes its count with it, so the processes are sampled
 * every 500 ms and each one's last sample is kept: at most 500 ms of a backend that exits is
 * missed, instead of all it ever used. `stop` gives the CPU seconds used since the start.
 */
function countPostgresCpu(): { stop: () => number | null } {
  const first = postgresTicks();
  if (first === null) return { stop: () => null };
  const last = new Map(first);
  const sample = () => {
    for (const [pid, ticks] of postgresTicks() ?? []) last.set(pid, ticks);
  };
  const timer = setInterval(sample, 500);
  timer.unref();
  return {
    stop: () => {
      clearInterval(timer);
      sample();
      let ticks = 0;
      for (const [pid, used] of last) ticks += used - (first.get(pid) ?? 0);
      return ticks / TICKS_PER_SECOND;
    },
  };
}

/** CPU seconds a process has used so far; null when it cannot be seen (gone, or off Linux). */
export function processCpuSeconds(pid: number | undefined): number | null {
  const stat = pid === undefined ? undefined : procStat(String(pid));
  return stat ? stat.ticks / TICKS_PER_SECOND : null;
}

export interface CpuPerJob {
  /** µs of PostgreSQL CPU per job; null when the server's processes cannot be seen. */
  postgresUs: number | null;
  /** µs of this process's CPU per job. */
  benchUs: number;
  /** µs of the child process's CPU per job; null without one (or off Linux). */
  childUs: number | null;
}

/** µs per unit of `seconds` of CPU; null when nothing could be counted. */
const perUnit = (seconds: number | null, units: number) =>
  seconds === null || seconds === 0 ? null : (seconds * 1e6) / units;

/** Starts counting; the returned function gives the CPU per job (or request) since then. */
export function startCpuCount(childPid?: number): (jobs: number) => CpuPerJob {
  const postgres = countPostgresCpu();
  const childStart = processCpuSeconds(childPid);
  const processStart = process.cpuUsage();
  return (jobs) => {
    const used = process.cpuUsage(processStart);
    const childEnd = processCpuSeconds(childPid);
    return {
      postgresUs: perUnit(postgres.stop(), jobs),
      benchUs: (used.user + used.system) / jobs,
      childUs: perUnit(
        childStart === null || childEnd === null ? null : childEnd - childStart,
        jobs,
      ),
    };
  };
}

/** Whole microseconds, or "n/a" when the CPU could not be counted. */
export const roundedMicros = (value: number | null) =>
  value === null ? "n/a" : String(Math.round(value));

const micros = (value: number | null) => (value === null ? "n/a" : `${roundedMicros(value)} µs`);

export function describeCpu(cpu: CpuPerJob, unit = "job", child = "child process"): string {
  const childPart = cpu.childUs === null ? "" : `, ${child} ${micros(cpu.childUs)}`;
  return `CPU per ${unit}: PostgreSQL ${micros(cpu.postgresUs)}${childPart}, bench process ${micros(cpu.benchUs)}`;
}
