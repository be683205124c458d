/**
 * What the call center's tasks reach besides the database: Twilio (through the official SDK,
 * pointed at the local simulator when no credentials are configured), the recording store and
 * SMTP (the local mail sink when no SMTP_URL is configured).
 * A worker process builds one `CallCenterServices` (src/cli/openServices.ts) and hands it to
 * every job as `ctx.services`.
 */
import type twilio from "twilio";
import type { AlertSettings } from "../alerts/settings.ts";
import type { MetricThresholds } from "../analytics/thresholds.ts";
import type { Db, Pool } from "../database/pool.ts";
import type { SmtpTransport } from "../email/transport.ts";
import type { CircuitBreakerOptions } from "../engine/limits/circuitBreaker.ts";
import type { RetentionSettings } from "../maintenance/retentionSettings.ts";
import type { RateLimit } from "../shared/rateLimitSpec.ts";
import type { RecordingStore } from "../storage/recordingStore.ts";

export interface TwilioService {
  client: twilio.Twilio;
  accountSid: string;
  /** Signs and checks webhook signatures. */
  authToken: string;
  /** Default caller id (`from_number`). */
  phoneNumber: string;
  /** Where Twilio reaches our webhooks, e.g. `https://calls.example.com` (no trailing slash). */
  publicBaseUrl: string;
  /** The account's calls per second, shared by every worker (rate limit key `twilio.calls`). */
  callsPerSecond: number;
  /** Voice Intelligence service used for transcripts. */
  transcriptionServiceSid: string;
  /** True when `client` talks to the local simulator. */
  simulated: boolean;
  /**
   * The breaker guarding Twilio's REST API (src/twilio/circuitBreaker.ts); what is not given
   * comes from `circuitBreakerDefaults`.
   */
  circuitBreaker?: Pick<CircuitBreakerOptions, "failureThreshold" | "recoveryTimeoutMs">;
}

export interface RecordingsService {
  store: RecordingStore;
  retentionDays: number;
  /** Delete the recording from Twilio once it is stored safely here. */
  deleteFromTwilio: boolean;
  enableTranscription: boolean;
}

/** Where reports and exports are computed from and kept. */
export interface ReportingService {
  /** Reads of reports and exports: the replica at `REPORTING_DATABASE_URL`, else the main database. */
  db: Db;
  /** The pool behind `db`, for `COPY … TO STDOUT` (exports). */
  pool: Pool;
  /**
   * Generated files (reports' renderings, exports), encrypted like recordings in the same
   * backend: keys start with `reports/` or `exports/`.
   */
  files: RecordingStore;
  timeZone: string;
  /** How long a ready report is reused for the same parameters (REPORT_FRESH_SECONDS). */
  reportFreshSeconds?: number;
  /** SHORT_ABANDON_SECONDS and SERVICE_LEVEL_SECONDS; unset: `metricThresholdDefaults`. */
  metricThresholds?: MetricThresholds;
  /** SERVICE_LEVEL_TARGET: the fraction of callers to answer within the service level's threshold. */
  serviceLevelTarget: number;
  /** An export's file is kept this long after it is written (`EXPORT_RETENTION_HOURS`). */
  exportRetentionHours: number;
  /** Calls an export reads per query (`EXPORT_CHUNK_ROWS`). */
  exportChunkRows: number;
  /**
   * How long an export waits between chunks for urgent jobs nobody takes, or for those taken to
   * finish (`EXPORT_YIELD_MS`).
   */
  exportYieldMs: number;
}

export interface EmailService {
  /** nodemailer over SMTP: SMTP_URL's server, or the local mail sink. */
  transport: SmtpTransport;
  /** The From of every message (DEFAULT_FROM_EMAIL), e.g. `Switchboard <noreply@example.com>`. */
  from: string;
  /** Messages per period, shared by every worker (rate limit key `smtp.messages`). */
  rateLimit: RateLimit;
  /** True when `transport` delivers to the local mail sink: nothing leaves the machine. */
  sink: boolean;
  /** Where the local mail sink keeps its `.eml` files (MAIL_DIR). */
  mailDir: string;
  /** Where the scheduled daily, weekly and monthly reports go (DAILY_REPORT_RECIPIENTS). */
  reportRecipients: string[];
  /** The breaker guarding SMTP (src/email/sendEmail.ts); unset fields: `circuitBreakerDefaults`. */
  circuitBreaker?: Pick<CircuitBreakerOptions, "failureThreshold" | "recoveryTimeoutMs">;
}

export interface CallCenterServices {
  twilio: TwilioService;
  recordings: RecordingsService;
  reporting: ReportingService;
  /** How long history is kept (`cleanup_old_tasks`, `cleanup_old_call_logs`); unset: `retentionDefaults`. */
  retention?: RetentionSettings;
  /** Thresholds and recipients of critical alerts; unset: `defaultAlertSettings` (no mail). */
  alerts?: AlertSettings;
  email: EmailService;
}
