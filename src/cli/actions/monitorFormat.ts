/** The text of each view of `switchboard monitor`: a heading and an aligned table per section. */
import type { Palette } from "../colour.ts";
import { alignedTable } from "../table.ts";
import type {
  failuresRead,
  healthRead,
  queuesRead,
  slowRead,
  taskRead,
  workersRead,
} from "./monitorReads.ts";

type Of<F extends (...args: never[]) => unknown> = Awaited<ReturnType<F>>;

/** `4.2s`, `3m05s`, `2h14m`; `-` for none. */
export function seconds(value: number | null | undefined): string {
  if (value === null || value === undefined) return "-";
  if (value < 60) return `${value.toFixed(1)}s`;
  const whole = Math.round(value);
  if (whole < 3600) return `${Math.floor(whole / 60)}m${String(whole % 60).padStart(2, "0")}s`;
  return `${Math.floor(whole / 3600)}h${String(Math.floor((whole % 3600) / 60)).padStart(2, "0")}m`;
}

const percent = (rate: number | null) => (rate === null ? "-" : `${(rate * 100).toFixed(1)}%`);
const shortTime = (iso: string | null) => (iso ? `${iso.slice(0, 19).replace("T", " ")}Z` : "-");

export function healthText(health: Of<typeof healthRead>, paint: Palette): string {
  const colour =
    health.status === "healthy"
      ? paint.green
      : health.status === "degraded"
        ? paint.yellow
        : paint.red;
  const verdict = colour(health.status.toUpperCase());
  const lines = [`${paint.bold("HEALTH")}  ${verdict}  checked ${shortTime(health.checked_at)}`];
  for (const reason of health.reasons) lines.push(`  - ${reason}`);
  if ("workers" in health && health.workers) {
    const types = Object.entries(health.workers.by_type)
      .map(([type, n]) => `${type} ${n}`)
      .join(", ");
    lines.push(
      `  workers alive: ${health.workers.alive}${types ? ` (${types})` : ""}` +
        `   database: ${health.database.latency_ms.toFixed(1)} ms` +
        `   last hour: ${health.last_hour.succeeded} succeeded, ${health.last_hour.failed} dead` +
        ` (${percent(health.last_hour.success_rate)})   dead in 24 h: ${health.dead_last_24h}`,
    );
  }
  lines.push("", alertsText(health.open_alerts, paint));
  return `${lines.join("\n")}`;
}

function alertsText(alerts: Of<typeof healthRead>["open_alerts"], paint: Palette): string {
  if (alerts.length === 0) return `${paint.bold("OPEN ALERTS")}  none\n`;
  return `${paint.bold("OPEN ALERTS")}\n${alignedTable(
    ["SINCE", "SEVERITY", "CONDITION", "SUMMARY"],
    alerts.map((alert) => [
      shortTime(alert.started_at),
      alert.severity,
      alert.condition,
      alert.summary,
    ]),
  )}`;
}

export function queuesText(queues: Of<typeof queuesRead>, paint: Palette): string {
  const table = alignedTable(
    ["LANE", "QUEUED", "SCHEDULED", "RETRYING", "RUNNING", "OLDEST WAIT", "WORKERS", "PAUSED"],
    queues.lanes.map((lane) => [
      lane.lane,
      String(lane.queued),
      String(lane.scheduled),
      String(lane.retrying),
      String(lane.running),
      seconds(lane.oldest_waiting_seconds),
      String(lane.workers),
      lane.paused ? paint.yellow("paused") : "no",
    ]),
  );
  const { jobs } = queues;
  return (
    `${paint.bold("LANES")}\n${table}` +
    `  jobs: ${jobs.waiting} waiting, ${jobs.locked} locked, ${jobs.parked} parked` +
    ` (no live worker knows the task), ${jobs.failing} with errors\n`
  );
}

export function workersText(workers: Of<typeof workersRead>, paint: Palette): string {
  if (workers.length === 0) return `${paint.bold("WORKERS")}  none\n`;
  return `${paint.bold("WORKERS")}\n${alignedTable(
    ["ID", "TYPE", "LANES", "HOST", "PID", "RUNNING", "DONE", "STATE"],
    workers.map((worker) => [
      worker.id,
      worker.type,
      worker.lanes.join(","),
      worker.host,
      String(worker.pid),
      String(worker.running_jobs),
      String(worker.jobs_done),
      worker.alive
        ? paint.green("alive")
        : worker.stopped_at
          ? `stopped${worker.stop_reason ? ` (${worker.stop_reason})` : ""}`
          : paint.red("silent"),
    ]),
  )}`;
}

export function slowText(slow: Of<typeof slowRead>, paint: Palette): string {
  const running =
    slow.running.length === 0
      ? `${paint.bold(`RUNNING OVER ${slow.threshold_seconds}s`)}  none\n`
      : `${paint.bold(`RUNNING OVER ${slow.threshold_seconds}s`)}\n${alignedTable(
          ["TASK ID", "TASK", "LANE", "WORKER", "RUNNING FOR"],
          slow.running.map((row) => [
            row.task_id,
            row.task_name,
            row.lane,
            row.worker_id ?? "-",
            seconds(row.running_seconds),
          ]),
        )}`;
  const finished =
    slow.finished_last_24h.length === 0
      ? ""
      : `\n${paint.bold("FINISHED OVER THE THRESHOLD IN 24 H")}\n${alignedTable(
          ["TASK", "COUNT", "MEAN", "MAX", "SLOWEST"],
          slow.finished_last_24h.map((row) => [
            row.task_name,
            String(row.count),
            seconds(row.mean_seconds),
            seconds(row.max_seconds),
            row.slowest_task_id,
          ]),
        )}`;
  return running + finished;
}

export function failuresText(failures: Of<typeof failuresRead>, paint: Palette): string {
  const heading = paint.bold(`FAILURES IN THE LAST ${failures.hours} H`);
  const grouped =
    failures.failures.length === 0
      ? `${heading}  none\n`
      : `${heading}\n${alignedTable(
          ["TASK", "ERROR", "COUNT", "RATE", "LAST SEEN", "SAMPLE"],
          failures.failures.map((row) => [
            row.task_name,
            row.error_class,
            String(row.count),
            percent(row.failure_rate),
            shortTime(row.last_seen),
            oneLine(row.sample_message ?? ""),
          ]),
        )}`;
  const dead =
    failures.recent_dead.length === 0
      ? `${paint.bold("RECENT DEAD EXECUTIONS")}  none\n`
      : `${paint.bold("RECENT DEAD EXECUTIONS")}\n${alignedTable(
          ["FINISHED", "TASK", "TASK ID", "ATTEMPTS", "ERROR"],
          failures.recent_dead.map((row) => [
            shortTime(row.finished_at),
            row.task_name,
            row.task_id,
            `${row.attempts}/${row.max_attempts}`,
            oneLine(row.error ? `${row.error.class}: ${row.error.message ?? ""}` : ""),
          ]),
        )}`;
  return `${grouped}\n${dead}`;
}

export function taskText(task: Of<typeof taskRead>, paint: Palette): string {
  const r = task.recent;
  const summary =
    `${paint.bold(`TASK ${task.task}`)}\n` +
    `  last ${r.executions} executions, ${r.ended} ended: ${r.succeeded} succeeded, ${r.dead} dead` +
    ` (success rate ${percent(r.success_rate)}), duration p50 ${seconds(r.p50_seconds)},` +
    ` p95 ${seconds(r.p95_seconds)}\n`;
  const latest =
    task.latest.length === 0
      ? `\n${paint.bold("LATEST")}  none\n`
      : `\n${paint.bold("LATEST")}\n${alignedTable(
          ["CREATED", "TASK ID", "STATUS", "ATTEMPTS", "DURATION"],
          task.latest.map((row) => [
            shortTime(row.created_at),
            row.task_id,
            row.status,
            `${row.attempts}/${row.max_attempts}`,
            seconds(row.duration_seconds),
          ]),
        )}`;
  const trend = `\n${paint.bold(`PER DAY, LAST ${task.days} DAYS (UTC)`)}\n${alignedTable(
    ["DAY", "EXECUTIONS", "SUCCEEDED", "DEAD", "SUCCESS", "P50", "P95"],
    task.trend.map((day) => [
      day.day,
      String(day.executions),
      String(day.succeeded),
      String(day.dead),
      percent(day.success_rate),
      seconds(day.p50_seconds),
      seconds(day.p95_seconds),
    ]),
  )}`;
  return summary + latest + trend;
}

const oneLine = (text: string) => {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > 80 ? `${flat.slice(0, 79)}…` : flat;
};
