/**
 * The single source of table types for Kysely. `Selectable`, `Insertable` and `Updateable`
 * types are derived from these interfaces, never copied by hand.
 */
import type { ColumnType, Generated, Selectable } from "kysely";
import type { ExecutionStatus } from "../engine/executionStatus.ts";

export type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type NullableTimestamp = ColumnType<
  Date | null,
  Date | string | null | undefined,
  Date | string | null
>;
type Json = ColumnType<unknown, string, string>;
/** A JSON column with a default: optional on insert. */
type JsonWithDefault = ColumnType<unknown, string | undefined, string>;

export interface SchemaMigrationTable {
  name: string;
  checksum: string;
  applied_at: Generated<Date>;
}

export interface ExecutionTable {
  id: Generated<number>;
  public_id: Generated<string>;
  task_name: string;
  lane: string;
  status: ExecutionStatus;
  payload: Json;
  secrets: Json | null;
  job_id: number | null;
  job_key: string | null;
  priority: number;
  attempts: Generated<number>;
  max_attempts: number;
  run_at: Timestamp;
  expires_at: NullableTimestamp;
  correlation_id: string | null;
  parent_id: string | null;
  progress: number | null;
  progress_message: string | null;
  result: Json | null;
  error_class: string | null;
  error_message: string | null;
  error_stack: string | null;
  worker_id: string | null;
  cancel_requested_at: NullableTimestamp;
  created_at: Generated<Date>;
  started_at: NullableTimestamp;
  finished_at: NullableTimestamp;
  updated_at: Generated<Date>;
}

export type AttemptOutcome =
  | "succeeded"
  | "failed"
  | "snoozed"
  | "timed_out"
  | "cancelled"
  | "abandoned";

export interface ExecutionAttemptTable {
  execution_id: number;
  attempt: number;
  worker_id: string | null;
  started_at: Date;
  finished_at: NullableTimestamp;
  outcome: AttemptOutcome;
  error_class: string | null;
  error_message: string | null;
}

/**
 * Executions that ended, per minute, lane, task, terminal status and run-time bucket (the index
 * into `RUN_SECONDS_BUCKETS`, its length for +Inf, -1 for never started); kept by triggers
 * (migration 0024).
 */
export interface ExecutionMinuteTable {
  minute: Date;
  lane: string;
  task_name: string;
  status: ExecutionStatus;
  bucket: number;
  executions: number;
  run_seconds_sum: number;
  wait_seconds_sum: number;
}

/** `execution_minutes` summed since the beginning: never deleted, so counters only grow. */
export interface ExecutionTotalTable {
  lane: string;
  task_name: string;
  status: ExecutionStatus;
  bucket: number;
  executions: number;
  run_seconds_sum: number;
}

/** Failed attempts since the beginning, by error class (else the attempt's outcome). */
export interface ExecutionErrorTotalTable {
  lane: string;
  task_name: string;
  error_class: string;
  errors: number;
}

export interface WorkerTable {
  id: string;
  type: string;
  lanes: string[];
  host: string;
  pid: number;
  graphile_worker_ids: Generated<string[]>;
  /** The task names the worker's code knows; null: it did not say (it may know any). */
  tasks: string[] | null;
  started_at: Generated<Date>;
  last_seen_at: Generated<Date>;
  running_jobs: Generated<number>;
  jobs_done: Generated<number>;
  stopped_at: NullableTimestamp;
  lock_key: number | null;
  lock_server_started_at: NullableTimestamp;
  stop_reason: string | null;
  reconnected_at: NullableTimestamp;
}

export interface LaneStateTable {
  lane: string;
  paused: boolean;
  changed_at: Generated<Date>;
  changed_by: string | null;
}

export interface ApiTokenTable {
  id: Generated<number>;
  name: string;
  /** SHA-256 (hex) of the secret; the secret itself is never stored. */
  token_hash: string;
  /** The token's first characters, to recognise it in listings. */
  token_prefix: string;
  scopes: string[];
  created_at: Generated<Date>;
  last_used_at: NullableTimestamp;
  revoked_at: NullableTimestamp;
  /** Refused from this moment on, by the database's clock; null: until revoked. */
  expires_at: NullableTimestamp;
}

export interface AuditLogTable {
  id: Generated<number>;
  at: Generated<Date>;
  /** The API token's name, or `cli:<os user>` from the CLI. */
  actor: string;
  action: string;
  target_ids: ColumnType<string[], string[] | undefined, string[]>;
  details: ColumnType<unknown, string | undefined, string>;
  outcome: string;
  request_id: string | null;
}

export type AgentState = "available" | "busy" | "wrap_up" | "offline";

export interface AgentTable {
  id: Generated<number>;
  name: string;
  email: string | null;
  phone_number: string | null;
  status: Generated<AgentState>;
  created_at: Generated<Date>;
}

export interface CallQueueTable {
  id: Generated<number>;
  name: string;
  description: string | null;
  created_at: Generated<Date>;
  /** Answered within this many seconds meets the service level; null: SERVICE_LEVEL_SECONDS. */
  service_level_seconds: number | null;
}

export interface CampaignTable {
  id: Generated<number>;
  public_id: Generated<string>;
  name: string | null;
  from_number: string;
  status: Generated<"running" | "completed" | "cancelled">;
  max_concurrent_calls: number;
  delay_between_calls_ms: Generated<number>;
  total_calls: number;
  metadata: JsonWithDefault;
  created_at: Generated<Date>;
  finished_at: NullableTimestamp;
}

export interface CallTable {
  id: Generated<number>;
  public_id: Generated<string>;
  sid: string | null;
  intent_key: string | null;
  direction: "inbound" | "outbound-api" | "outbound-dial";
  from_number: string;
  to_number: string;
  status: Generated<string>;
  status_rank: Generated<number>;
  last_sequence_number: number | null;
  call_queue_id: number | null;
  agent_id: number | null;
  campaign_id: number | null;
  metadata: JsonWithDefault;
  answered_by: string | null;
  error_code: number | null;
  error_message: string | null;
  dial_attempts: Generated<number>;
  created_at: Generated<Date>;
  scheduled_for: NullableTimestamp;
  dialed_at: NullableTimestamp;
  answered_at: NullableTimestamp;
  ended_at: NullableTimestamp;
  duration_seconds: number | null;
  updated_at: Generated<Date>;
  enqueued_at: NullableTimestamp;
  queue_sid: string | null;
  queue_result: string | null;
  wait_seconds: number | null;
  talk_seconds: number | null;
  hold_seconds: Generated<number>;
  wrap_up_seconds: number | null;
  outcome: CallOutcome | null;
}

export type CallOutcome = "completed" | "abandoned" | "busy" | "no-answer" | "failed" | "voicemail";

export interface AgentStateEventTable {
  id: Generated<number>;
  agent_id: number;
  state: AgentState;
  started_at: Date;
  call_id: number | null;
}

export interface CallEventTable {
  id: Generated<number>;
  call_id: number | null;
  call_sid: string;
  sequence_number: number | null;
  status: string;
  payload: Json;
  received_at: Generated<Date>;
  applied: Generated<boolean>;
}

export interface RecordingTable {
  id: Generated<number>;
  sid: string;
  call_id: number | null;
  call_sid: string;
  status: Generated<"pending" | "processing" | "stored" | "failed" | "archived">;
  media_url: string | null;
  storage_key: string | null;
  size_bytes: number | null;
  sha256: string | null;
  duration_seconds: number | null;
  encrypted: Generated<boolean>;
  deleted_from_twilio_at: NullableTimestamp;
  archived_at: NullableTimestamp;
  error_message: string | null;
  created_at: Generated<Date>;
  stored_at: NullableTimestamp;
}

export interface TranscriptTable {
  id: Generated<number>;
  recording_id: number;
  language: string;
  status: Generated<"pending" | "completed" | "failed">;
  provider_sid: string | null;
  text: string | null;
  error_message: string | null;
  created_at: Generated<Date>;
  completed_at: NullableTimestamp;
}

export interface WebhookLogTable {
  id: Generated<number>;
  kind:
    | "call-status"
    | "recording-status"
    | "transcription"
    | "inbound-call"
    | "call-queue-result"
    | "agent-leg"
    | "agent-answer";
  url: string;
  params: Json;
  signature_valid: boolean;
  dedupe_key: string | null;
  duplicate_of: number | null;
  received_at: Generated<Date>;
  processed_at: NullableTimestamp;
  attempts: Generated<number>;
  last_error: string | null;
}

export interface RoutingRecommendationTable {
  id: Generated<number>;
  computed_at: Generated<Date>;
  window_start: Timestamp;
  window_end: Timestamp;
  service_level_seconds: number;
  service_level_target: number;
  moves: JsonWithDefault;
  additions: JsonWithDefault;
  summary: string;
  execution_id: string | null;
}

export interface RoutingRecommendationCallQueueTable {
  recommendation_id: number;
  call_queue_id: number;
  service_level_seconds: number;
  offered: number;
  answered: number;
  arrival_rate_per_hour: number;
  average_handle_time_seconds: number | null;
  traffic_erlangs: number | null;
  agents_serving: number;
  agents_needed: number | null;
  agents_recommended: number;
  service_level_current: number | null;
  service_level_recommended: number | null;
}

export type ReportType = "daily" | "weekly" | "monthly" | "agent";
export type ReportStatus = "pending" | "running" | "ready" | "failed";

/** A generated report (src/reports): one row per cache key, rebuilt in place on refresh. */
export interface ReportTable {
  id: Generated<number>;
  public_id: Generated<string>;
  report_type: ReportType;
  parameters: Json;
  cache_key: string;
  status: Generated<ReportStatus>;
  /** Public id of the execution building it. */
  execution_id: string | null;
  content: Json | null;
  json_key: string | null;
  csv_key: string | null;
  html_key: string | null;
  email_recipients: ColumnType<string[], string[] | undefined, string[]>;
  /** Recipients whose email of this report was enqueued (src/reports/reportEmail.ts). */
  emailed_to: ColumnType<string[], string[] | undefined, string[]>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
  started_at: NullableTimestamp;
  generated_at: NullableTimestamp;
  fresh_until: NullableTimestamp;
  error: string | null;
}

/** The additive parts of the inbound metrics per call queue × local hour (src/analytics/). */
export interface CallQueueHourTable {
  time_zone: string;
  /** The UTC instant the local hour starts. */
  hour_start: Date;
  call_queue_id: number;
  /** The local wall-clock start of the hour. */
  local_hour: ColumnType<Date, Date | string, Date | string>;
  offered: number;
  answered: number;
  abandoned: number;
  short_abandoned: number;
  answered_within_threshold: number;
  answer_wait_seconds: number;
  longest_wait_seconds: number | null;
  talk_seconds: number;
  hold_seconds: number;
  wrap_up_seconds: number;
}

/** Outbound calls per campaign × local hour by outcome (src/analytics/). */
export interface CampaignHourTable {
  time_zone: string;
  hour_start: Date;
  /** Null: calls outside any campaign. */
  campaign_id: number | null;
  dialed: number;
  completed: number;
  busy: number;
  no_answer: number;
  failed: number;
  voicemail: number;
}

/** The additive parts of the agent metrics per agent × local day (src/analytics/). */
export interface AgentDayTable {
  time_zone: string;
  /** The UTC instant the local day starts. */
  day_start: Date;
  agent_id: number;
  local_day: ColumnType<Date, Date | string, Date | string>;
  handled: number;
  talk_seconds: number;
  hold_seconds: number;
  wrap_up_seconds: number;
  available_seconds: number;
  busy_seconds: number;
  wrap_up_state_seconds: number;
  handling_seconds: number;
  logged_in_seconds: number;
}

/** Which periods a rollup holds, and when and with which thresholds they were computed. */
export interface RollupPeriodTable {
  /** `hour`: call_queue_hours and campaign_hours; `agent_day`: agent_days. */
  rollup: "hour" | "agent_day";
  time_zone: string;
  period_start: Date;
  period_end: Date;
  short_abandon_seconds: number;
  service_level_seconds: number;
  refreshed_at: Date;
}

export type ExportFormat = "csv" | "json";
export type ExportStatus = "pending" | "running" | "ready" | "failed" | "cancelled";

/** An export of call data (src/exports/): its request, its file and how far it got. */
export interface ExportTable {
  id: Generated<number>;
  public_id: Generated<string>;
  cache_key: string;
  filters: Json;
  format: ExportFormat;
  requested_by: string;
  status: Generated<ExportStatus>;
  execution_id: string | null;
  rows_done: Generated<number>;
  rows_estimated: number | null;
  storage_key: string | null;
  bytes: number | null;
  created_at: Generated<Date>;
  started_at: NullableTimestamp;
  finished_at: NullableTimestamp;
  expires_at: NullableTimestamp;
  error: string | null;
}

export interface SmsMessageTable {
  id: Generated<number>;
  send_key: string;
  sid: string | null;
  to_number: string;
  from_number: string;
  body: string;
  /** `pending`, then Twilio's status; `rejected` when Twilio refused it for good. */
  status: Generated<string>;
  requested_at: NullableTimestamp;
  requests: Generated<number>;
  error_code: number | null;
  error_message: string | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface NotificationEmailTable {
  execution_id: string;
  email_execution_id: string | null;
  created_at: Generated<Date>;
}

export type AlertSeverity = "critical" | "warning";

/** A firing of one instance of a named alert condition (src/alerts/), open until it resolves. */
export interface AlertTable {
  id: Generated<number>;
  condition: string;
  /** The condition's instance (a lane, a breaker, `type@host`); '' for a single-instance condition. */
  instance_key: Generated<string>;
  severity: AlertSeverity;
  summary: string;
  details: JsonWithDefault;
  started_at: Generated<Date>;
  last_seen_at: Generated<Date>;
  resolved_at: NullableTimestamp;
  last_notified_at: NullableTimestamp;
  notifications: Generated<number>;
}

export interface DashboardUserTable {
  id: Generated<number>;
  username: string;
  /** scrypt, see src/dashboard/passwords.ts; the password itself is never stored. */
  password_hash: string;
  scopes: string[];
  created_at: Generated<Date>;
  disabled_at: NullableTimestamp;
}

/** A signed-in browser: exactly one of `user_id` and `token_id` is set. */
export interface DashboardSessionTable {
  id: Generated<number>;
  /** SHA-256 (hex) of the cookie's secret. */
  secret_hash: string;
  user_id: number | null;
  token_id: number | null;
  csrf_token: string;
  created_at: Generated<Date>;
  last_seen_at: Generated<Date>;
  idle_expires_at: Date;
  absolute_expires_at: Date;
  user_agent: string | null;
}

export interface Database {
  agents: AgentTable;
  call_queues: CallQueueTable;
  agent_state_events: AgentStateEventTable;
  campaigns: CampaignTable;
  calls: CallTable;
  call_events: CallEventTable;
  recordings: RecordingTable;
  transcripts: TranscriptTable;
  webhook_logs: WebhookLogTable;
  routing_recommendations: RoutingRecommendationTable;
  routing_recommendation_call_queues: RoutingRecommendationCallQueueTable;
  reports: ReportTable;
  call_queue_hours: CallQueueHourTable;
  campaign_hours: CampaignHourTable;
  agent_days: AgentDayTable;
  rollup_periods: RollupPeriodTable;
  exports: ExportTable;
  sms_messages: SmsMessageTable;
  notification_emails: NotificationEmailTable;
  switchboard_migrations: SchemaMigrationTable;
  executions: ExecutionTable;
  execution_attempts: ExecutionAttemptTable;
  execution_minutes: ExecutionMinuteTable;
  execution_totals: ExecutionTotalTable;
  execution_error_totals: ExecutionErrorTotalTable;
  workers: WorkerTable;
  lane_states: LaneStateTable;
  api_tokens: ApiTokenTable;
  dashboard_users: DashboardUserTable;
  dashboard_sessions: DashboardSessionTable;
  audit_log: AuditLogTable;
  alerts: AlertTable;
}

export type Execution = Selectable<ExecutionTable>;
export type ExecutionAttempt = Selectable<ExecutionAttemptTable>;
export type WorkerRow = Selectable<WorkerTable>;
export type Call = Selectable<CallTable>;
export type Campaign = Selectable<CampaignTable>;
export type Recording = Selectable<RecordingTable>;
export type WebhookLog = Selectable<WebhookLogTable>;
export type Report = Selectable<ReportTable>;
export type Export = Selectable<ExportTable>;
export type SmsMessage = Selectable<SmsMessageTable>;
export type Alert = Selectable<AlertTable>;
