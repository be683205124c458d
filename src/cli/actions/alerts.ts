import { alertList } from "../../alerts/alertList.ts";
import type { AlertStatusFilter } from "../../alerts/alertStatus.ts";
import type { Alert } from "../../database/schema.ts";
import { withRuntime } from "../runtime.ts";

const oneShot = { migrate: false, exitWhenDone: true };

/** `switchboard alerts`. */
export function listAlerts(options: {
  status: AlertStatusFilter;
  limit?: number;
  json?: boolean;
}): Promise<void> {
  return withRuntime("cli", oneShot, async ({ database }) => {
    const { alerts } = await alertList(database.db, {
      status: options.status,
      limit: options.limit ?? 50,
    });
    const lines = alerts.map((alert) =>
      options.json ? JSON.stringify(alertJson(alert)) : alertLine(alert),
    );
    if (!options.json && lines.length === 0)
      lines.push(`no ${options.status === "all" ? "" : `${options.status} `}alerts`);
    if (lines.length > 0) process.stdout.write(`${lines.join("\n")}\n`);
  });
}

function alertJson(alert: Alert) {
  return {
    id: alert.id,
    condition: alert.condition,
    instance_key: alert.instance_key,
    severity: alert.severity,
    status: alert.resolved_at ? "resolved" : "open",
    summary: alert.summary,
    details: alert.details,
    started_at: alert.started_at.toISOString(),
    last_seen_at: alert.last_seen_at.toISOString(),
    resolved_at: alert.resolved_at?.toISOString() ?? null,
    last_notified_at: alert.last_notified_at?.toISOString() ?? null,
    notifications: alert.notifications,
  };
}

/** `2026-12-06T13:30:00Z  OPEN      critical  lane_wait  lane reports: oldest waiting job is 812 s old` */
function alertLine(alert: Alert): string {
  const started = `${alert.started_at.toISOString().slice(0, 19)}Z`;
  const status = alert.resolved_at
    ? `resolved ${alert.resolved_at.toISOString().slice(0, 19)}Z`
    : "OPEN";
  return [
    started,
    status.padEnd(29),
    alert.severity.padEnd(8),
    alert.condition.padEnd(17),
    alert.summary,
  ].join("  ");
}
