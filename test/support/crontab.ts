import { readFileSync } from "node:fs";

/** The repository's crontab with seed 000's entries whose tasks are still to come enabled. */
export function seedCrontab(): string {
  return readFileSync(new URL("../../crontab", import.meta.url), "utf8").replace(
    "# 0 0 * * * cleanup_expired_sessions",
    "0 0 * * * cleanup_expired_sessions",
  );
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
