import { readFileSync } from "node:fs";

/** The repository's crontab. */
export function seedCrontab(): string {
  return readFileSync(new URL("../../crontab", import.meta.url), "utf8");
}

/** Seed 000's scheduled tasks, and the entries the crontab adds to them. */
export const seedScheduledTasks = [
  "calculate_hourly_metrics",
  "cleanup_expired_sessions",
  "archive_old_recordings",
  "cleanup_old_call_logs",
  "generate_daily_report",
  "generate_weekly_report",
  "generate_monthly_report",
  "system_health_check",
  "check_failed_webhooks",
  "transcribe_pending_recordings",
  "update_all_agent_metrics",
  "optimize_queue_routing",
  "process_pending_recordings",
];
