/** Every task Switchboard runs; one file per task, named as the seeds name it. */
import type { AnyTask } from "../src/engine/task.ts";
import archiveOldRecordings from "./archive_old_recordings.ts";
import calculateAgentMetrics from "./calculate_agent_metrics.ts";
import calculateHourlyMetrics from "./calculate_hourly_metrics.ts";
import checkFailedWebhooks from "./check_failed_webhooks.ts";
import cleanupExpiredExports from "./cleanup_expired_exports.ts";
import cleanupExpiredSessions from "./cleanup_expired_sessions.ts";
import cleanupOldCallLogs from "./cleanup_old_call_logs.ts";
import cleanupOldTasks from "./cleanup_old_tasks.ts";
import cleanupStaleCalls from "./cleanup_stale_calls.ts";
import debugTask from "./debug_task.ts";
import endCall from "./end_call.ts";
import exportCallData from "./export_call_data.ts";
import generateDailyReport from "./generate_daily_report.ts";
import generateMonthlyReport from "./generate_monthly_report.ts";
import generateWeeklyReport from "./generate_weekly_report.ts";
import getCallStatus from "./get_call_status.ts";
import optimizeQueueRouting from "./optimize_queue_routing.ts";
import processCallRecording from "./process_call_recording.ts";
import processPendingRecordings from "./process_pending_recordings.ts";
import processWebhookCallback from "./process_webhook_callback.ts";
import queueBulkCalls from "./queue_bulk_calls.ts";
import queueOutboundCall from "./queue_outbound_call.ts";
import retryFailedCall from "./retry_failed_call.ts";
import retryFailedWebhook from "./retry_failed_webhook.ts";
import scheduleCall from "./schedule_call.ts";
import sendBulkEmails from "./send_bulk_emails.ts";
import sendEmail from "./send_email.ts";
import sendNotification from "./send_notification.ts";
import systemHealthCheck from "./system_health_check.ts";
import transcribePendingRecordings from "./transcribe_pending_recordings.ts";
import transcribeRecording from "./transcribe_recording.ts";
import updateAllAgentMetrics from "./update_all_agent_metrics.ts";

export const tasks: AnyTask[] = [
  systemHealthCheck,
  processWebhookCallback,
  retryFailedWebhook,
  checkFailedWebhooks,
  queueOutboundCall,
  queueBulkCalls,
  scheduleCall,
  endCall,
  getCallStatus,
  retryFailedCall,
  cleanupStaleCalls,
  processCallRecording,
  transcribeRecording,
  processPendingRecordings,
  transcribePendingRecordings,
  archiveOldRecordings,
  generateDailyReport,
  generateWeeklyReport,
  generateMonthlyReport,
  calculateAgentMetrics,
  calculateHourlyMetrics,
  updateAllAgentMetrics,
  optimizeQueueRouting,
  exportCallData,
  cleanupExpiredExports,
  cleanupExpiredSessions,
  cleanupOldTasks,
  cleanupOldCallLogs,
  sendEmail,
  sendBulkEmails,
  debugTask,
  sendNotification,
];
