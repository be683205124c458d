/**
 * The mail about an alert: its subject names the severity (or RESOLVED) and the summary, e.g.
 * `[Switchboard] CRITICAL: lane reports: oldest waiting job is 812 s old`; its plain-text body
 * gives the condition, the times and the details.
 */

import type { z } from "zod";
import type { Alert } from "../database/schema.ts";
import type { sendEmailPayload } from "../email/payload.ts";

export type AlertMailKind = "started" | "still_firing" | "resolved";

const MAX_SUBJECT_CHARS = 998;

export function alertMail(
  alert: Pick<
    Alert,
    | "id"
    | "condition"
    | "instance_key"
    | "severity"
    | "summary"
    | "details"
    | "started_at"
    | "resolved_at"
  >,
  kind: AlertMailKind,
  recipients: string[],
): z.input<typeof sendEmailPayload> {
  const label = kind === "resolved" ? "RESOLVED" : alert.severity.toUpperCase();
  const suffix = kind === "still_firing" ? " (still firing)" : "";
  const subject = `[Switchboard] ${label}: ${oneLine(alert.summary)}${suffix}`.slice(
    0,
    MAX_SUBJECT_CHARS,
  );
  const lines = [
    kind === "resolved"
      ? "This alert has resolved."
      : kind === "started"
        ? "This alert started firing."
        : "This alert is still firing.",
    "",
    `Summary:   ${alert.summary}`,
    `Condition: ${alert.condition}${alert.instance_key ? ` (${alert.instance_key})` : ""}`,
    `Severity:  ${alert.severity}`,
    `Started:   ${alert.started_at.toISOString()}`,
  ];
  if (alert.resolved_at) {
    lines.push(`Resolved:  ${alert.resolved_at.toISOString()}`);
    lines.push(`Lasted:    ${duration(alert.resolved_at.getTime() - alert.started_at.getTime())}`);
  } else {
    lines.push(`Firing for ${duration(Date.now() - alert.started_at.getTime())}`);
  }
  const details = Object.entries((alert.details ?? {}) as Record<string, unknown>);
  if (details.length > 0) {
    lines.push("", "Details:");
    for (const [name, value] of details) lines.push(`  ${name}: ${JSON.stringify(value)}`);
  }
  lines.push("", `Alert ${alert.id}: GET /api/alerts/ or \`switchboard alerts\` lists alerts.`);
  return {
    to_email: recipients,
    subject,
    body: `${lines.join("\n")}\n`,
    priority: kind === "resolved" || alert.severity !== "critical" ? "normal" : "high",
  };
}

function oneLine(text: string): string {
  return text.replace(/[\r\n]+/g, " ");
}

function duration(ms: number): string {
  const minutes = Math.max(0, Math.round(ms / 60_000));
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  return `${hours} h ${minutes % 60} min`;
}
