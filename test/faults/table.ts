/** The fault suite's printed report: faults injected, results with their checks, details. */
import {
  type Findings,
  failedChecks,
  formatMs,
  killRecoveryMs,
  maxRecovery,
  medianRecovery,
  RECOVERY_TARGET_MS,
} from "./report.ts";

export interface RunSummary {
  jobs: number;
  workers: number;
  pauseMs: number;
  hungLimits: string;
  seconds: number;
}

/** Rows of a details list shown at most. */
const DETAIL_ROWS = 10;

type Row = [label: string, value: string, check?: "ok" | "FAIL"];

export function formatReport(f: Findings, run: RunSummary): string {
  const randomKills = f.recoveries.filter((r) => r.kill.kind === "random");
  const resumedKills = f.recoveries.filter((r) => r.kill.kind === "resumed");
  const restart = f.databaseFaults.find((d) => d.kind === "restart in immediate mode");
  const outage = f.databaseFaults.find((d) => d.kind === "outage");
  const downFor = (d: typeof restart) => (d ? `down ${formatMs(d.upAt - d.downAt)}` : "not run");
  const pause = f.pause;

  const faults: Row[] = [
    [
      "SIGKILL of a worker in the middle of a job",
      `${randomKills.length}  (${randomKills.filter((r) => r.held > 0).length} cut a job short)`,
    ],
    [
      "SIGKILL of the resumed (paused) worker",
      `${resumedKills.length}  (${resumedKills.reduce((n, r) => n + r.held, 0)} jobs cut short)`,
    ],
    [
      "SIGSTOP past the silent threshold, SIGCONT",
      pause
        ? `1  (${formatMs(pause.continuedAt - pause.stoppedAt)}; declared dead: ${pause.declaredDead ? "yes" : "no"}; jobs it started after resuming: ${pause.runsStartedAfterResume}; it ended: ${pause.fate})`
        : "0",
    ],
    ["database restart in immediate mode", `${restart ? 1 : 0}  (${downFor(restart)})`],
    ["database outage (stop, wait, start)", `${outage ? 1 : 0}  (${downFor(outage)})`],
    ["poison job (SIGKILLs its own worker)", `1  (killed ${f.poison.processesKilled} processes)`],
    ["hung task (ignores its signal, never settles)", `1  (${run.hungLimits})`],
  ];

  const lost = f.lostNoExecution.length + f.lostJobVanished.length;
  const stuck = f.live.filter((e) => e.hasJob).length;
  const worst = maxRecovery(f.recoveries);
  const exits = Object.entries(f.exits)
    .map(([kind, count]) => `${kind} ${count}`)
    .join(", ");
  const alive = f.databaseFaults
    .map(
      (d) => `${d.kind === "outage" ? "outage" : "restart"} ${d.resumed.length}/${d.before.length}`,
    )
    .join(", ");
  const hung = f.hung;
  const results: Row[] = [
    [
      "executions",
      `${f.executions}  (${f.enqueued} of ${run.jobs} jobs enqueued, + poison + hung)`,
    ],
    [
      "lost",
      `${lost}  (${f.lostNoExecution.length} without an execution, ${f.lostJobVanished.length} whose job vanished)`,
      ok(lost === 0),
    ],
    ["stuck (not ended, job still there)", String(stuck), ok(stuck === 0)],
    ["ended twice", String(f.endedTwice.length), ok(f.endedTwice.length === 0)],
    ["jobs without a live execution", String(f.orphanJobs.length), ok(f.orphanJobs.length === 0)],
    [
      "ran more than once (debug_task)",
      `${f.ranMoreThanOnce}  (${f.ranAtTheSameTime} of them at the same time)`,
    ],
    ["attempt numbered twice in the history", String(f.attemptNumberedTwice)],
    [
      "recovery after a SIGKILL, p50 / max",
      `${formatMs(medianRecovery(f.recoveries))} / ${formatMs(worst)}`,
      ok(worst <= RECOVERY_TARGET_MS),
    ],
    ["worker processes started", `${f.processesStarted}  (${exits || "none exited"})`],
    [
      "worker processes that died of something else",
      String(f.deaths.length),
      ok(f.deaths.length === 0),
    ],
    [
      "workers alive after the database came back",
      alive || "n/a",
      ok(f.databaseFaults.every((d) => d.resumed.length === d.before.length)),
    ],
    [
      "poison job",
      `${f.poison.status}, ${f.poison.errorClass ?? "no error class"}, attempts ${f.poison.attempts}/${f.poison.maxAttempts}`,
      ok(f.poison.status === "dead" && f.poison.errorClass === "WorkerLost"),
    ],
    [
      "hung task",
      `${hung.status}, ${hung.errorClass ?? "no error class"}, ${hung.runs} runs; its code ran ${formatMs(Math.max(0, hung.overranMs))} past the hard limit${hung.overlapped ? ", alongside its retry" : ""}`,
    ],
    [
      "most task runs at once in one process",
      `${f.mostRunsAtOnce}  (the lane's concurrency is ${f.laneConcurrency})`,
    ],
  ];

  const lines = [
    `fault suite: ${run.jobs} jobs of debug_task, ${run.workers} worker processes at the engine's default settings, ${run.seconds.toFixed(0)} s`,
    "",
    "faults injected",
    ...rows(faults),
    "",
    "results",
    ...rows(results),
    ...details(f),
    "",
  ];
  const failed = failedChecks(f);
  if (failed.length === 0) lines.push("all checks passed");
  else lines.push("FAILED:", ...failed.map((line) => `  ${line}`));
  return lines.join("\n");
}

function ok(passed: boolean): "ok" | "FAIL" {
  return passed ? "ok" : "FAIL";
}

/** Label, then the check (in a column of its own, if any row has one), then the value. */
function rows(table: Row[]): string[] {
  const labelWidth = Math.max(...table.map(([label]) => label.length));
  const checks = table.some(([, , check]) => check !== undefined);
  return table.map(([label, value, check]) =>
    [`  ${label.padEnd(labelWidth)}`, ...(checks ? [(check ?? "").padEnd(4)] : []), value].join(
      "  ",
    ),
  );
}

function details(f: Findings): string[] {
  const sections: [string, string[]][] = [
    [
      "not ended (status, its worker, job, attempts)",
      f.live.map(
        (e) =>
          `${e.publicId} ${e.taskName}: ${e.status} (worker ${e.workerId ?? "-"}), ${
            e.hasJob
              ? `job ${e.locked ? "locked" : "unlocked"}, job attempts ${e.jobAttempts}/${e.jobMaxAttempts}`
              : "no job"
          }, attempts ${e.attempts}/${e.maxAttempts}`,
      ),
    ],
    ["enqueued without an execution", f.lostNoExecution],
    [
      "ended twice (endings, then runs, in order)",
      f.endedTwice.map((e) => `${e.publicId}: ${e.endings}\n      runs: ${e.runs}`),
    ],
    ["jobs without a live execution (job ids)", f.orphanJobs.map(String)],
    [
      "died of something else",
      f.deaths.map((d) => `worker #${d.number} (pid ${d.pid}) ${d.exit}: ${d.reason}`),
    ],
    [
      `kills whose jobs took longer than ${RECOVERY_TARGET_MS / 1000} s to start again`,
      f.recoveries
        .filter((r) => r.held > 0 && killRecoveryMs(r) > RECOVERY_TARGET_MS)
        .map(
          (r) =>
            `pid ${r.kill.pid} (${r.kill.kind}): ${r.held} jobs, restarted after ${r.restartsMs.map((ms) => formatMs(ms ?? Number.POSITIVE_INFINITY)).join(", ")}`,
        ),
    ],
  ];
  const lines: string[] = [];
  for (const [title, items] of sections) {
    if (items.length === 0) continue;
    lines.push("", `${title}: ${items.length}`);
    lines.push(...items.slice(0, DETAIL_ROWS).map((item) => `  ${item}`));
    if (items.length > DETAIL_ROWS) lines.push(`  … and ${items.length - DETAIL_ROWS} more`);
  }
  return lines;
}
