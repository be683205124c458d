/**
 * Where a timed phase spent its CPU: the PostgreSQL server's processes (read from /proc, so only
 * for a server on this machine, Linux) and this process. Shown per job, so a gap between the
 * baseline and the engine can be put on the database or on the worker.
 */
import { readdirSync, readFileSync } from "node:fs";

/** CPU seconds used so far by every process named `postgres` on this machine; null off Linux. */
function postgresCpuSeconds(): number | null {
  let pids: string[];
  try {
    pids = readdirSync("/proc").filter((name) => /^\d+$/.test(name));
  } catch {
    return null;
  }
  const ticksPerSecond = 100; // USER_HZ, 100 on every Linux this runs on
  let ticks = 0;
  for (const pid of pids) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    } catch {
      continue; // gone since the listing
    }
    const commEnd = stat.lastIndexOf(")");
    if (!stat.slice(stat.indexOf("(") + 1, commEnd).startsWith("postgres")) continue;
    // Fields after "pid (comm) ": state is the 1st, utime the 12th, stime the 13th.
    const fields = stat.slice(commEnd + 2).split(" ");
    ticks += Number(fields[11]) + Number(fields[12]);
  }
  return ticks / ticksPerSecond;
}

export interface CpuPerJob {
  /** µs of PostgreSQL CPU per job; null when the server's processes cannot be seen. */
  postgresUs: number | null;
  /** µs of this process's CPU per job. */
  benchUs: number;
}

/** Starts counting; the returned function gives the CPU per job since then. */
export function startCpuCount(): (jobs: number) => CpuPerJob {
  const postgresStart = postgresCpuSeconds();
  const processStart = process.cpuUsage();
  return (jobs) => {
    const postgresEnd = postgresCpuSeconds();
    const used = process.cpuUsage(processStart);
    return {
      postgresUs:
        postgresStart === null || postgresEnd === null || postgresEnd === postgresStart
          ? null
          : ((postgresEnd - postgresStart) * 1e6) / jobs,
      benchUs: (used.user + used.system) / jobs,
    };
  };
}

export function describeCpu(cpu: CpuPerJob): string {
  const postgres = cpu.postgresUs === null ? "n/a" : `${Math.round(cpu.postgresUs)} µs`;
  return `CPU per job: PostgreSQL ${postgres}, bench process ${Math.round(cpu.benchUs)} µs`;
}
