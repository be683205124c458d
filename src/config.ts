/**
 * The one place that reads `process.env`. Every setting is parsed by a zod schema; a bad value
 * stops the process at start-up with a message that names the variable.
 * `.env.example` documents each variable and its default.
 */
import { z } from "zod";
import { type AlertSettings, defaultAlertSettings } from "./alerts/settings.ts";
import { type MetricThresholds, metricThresholdDefaults } from "./analytics/thresholds.ts";
import type { SessionLifetime } from "./dashboard/sessions.ts";
import { isEmailAddress, parseMailbox } from "./email/addresses.ts";
import { type RetentionSettings, retentionDefaults } from "./maintenance/retentionSettings.ts";
import { type LaneName, laneNames, type WorkerType, workerTypes } from "./shared/lanes.ts";
import { isTimeZone } from "./shared/localDates.ts";
import { parseRateLimit, type RateLimit } from "./shared/rateLimitSpec.ts";

const integer = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^-?\d+$/, "expected a number")
    .transform(Number)
    .pipe(z.number().int().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`));

const decimal = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+(\.\d+)?$/, "expected a number such as 3 or 0.5")
    .transform(Number)
    .pipe(z.number().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`));

/** A fraction strictly between 0 and 1, such as 0.8. */
const fraction = z
  .string()
  .trim()
  .regex(/^(0|1)?\.\d+$|^[01]$/, "expected a fraction such as 0.8")
  .transform(Number)
  .pipe(z.number().gt(0, "must be above 0").lt(1, "must be below 1"));

const boolean = z
  .string()
  .trim()
  .toLowerCase()
  .refine((value) => ["true", "false", "1", "0", "yes", "no"].includes(value), {
    message: "expected true or false",
  })
  .transform((value) => ["true", "1", "yes"].includes(value));

const postgresUrl = z
  .string()
  .trim()
  .refine((value) => /^postgres(ql)?:\/\//.test(value) && URL.canParse(value), {
    message: "expected a postgres:// connection URL",
  });

const laneConcurrency = z
  .string()
  .trim()
  .transform((value, ctx) => {
    const overrides: Partial<Record<LaneName, number>> = {};
    for (const part of value.split(",").filter(Boolean)) {
      const [lane, count] = part.split("=").map((piece) => piece.trim());
      if (!lane || !(laneNames as readonly string[]).includes(lane)) {
        ctx.addIssue({
          code: "custom",
          message: `unknown lane "${lane}" (lanes: ${laneNames.join(", ")})`,
        });
        return z.NEVER;
      }
      if (!count || !/^\d+$/.test(count) || Number(count) < 1) {
        ctx.addIssue({ code: "custom", message: `${lane}: expected a concurrency of at least 1` });
        return z.NEVER;
      }
      overrides[lane as LaneName] = Number(count);
    }
    return overrides;
  });

const rateLimit = z
  .string()
  .trim()
  .transform((value, ctx) => {
    try {
      return parseRateLimit(value, "value");
    } catch (error) {
      ctx.addIssue({ code: "custom", message: (error as Error).message });
      return z.NEVER;
    }
  });

const e164 = z
  .string()
  .trim()
  .regex(/^\+[1-9]\d{7,14}$/, "expected an E.164 phone number such as +15551234567");

const httpUrl = z
  .string()
  .trim()
  .refine((value) => /^https?:\/\//.test(value) && URL.canParse(value), {
    message: "expected an http:// or https:// URL",
  })
  .transform((value) => value.replace(/\/+$/, ""));

/** smtp:// (STARTTLS when the server offers it) or smtps:// (TLS from the start), e.g. port 465. */
const smtpUrl = z
  .string()
  .trim()
  .refine((value) => /^smtps?:\/\/[^/]/.test(value) && URL.canParse(value), {
    message: "expected an smtp://host:587 or smtps://user:password@host:465 URL",
  });

/** An address, or a name and an address: `noreply@example.com`, `Switchboard <noreply@example.com>`. */
const fromAddress = z
  .string()
  .trim()
  .refine((value) => parseMailbox(value) !== undefined, {
    message: "expected an email address such as Switchboard <noreply@example.com>",
  });

/** Comma-separated email addresses; empty: none. */
const emailList = z
  .string()
  .trim()
  .transform((value, ctx) => {
    const addresses = value
      .split(",")
      .map((part) => part.trim())
      .filter(Boolean);
    for (const address of addresses) {
      if (!isEmailAddress(address)) {
        ctx.addIssue({
          code: "custom",
          message: `"${address}" is not an email address (expected e.g. ops@example.com,oncall@example.com)`,
        });
        return z.NEVER;
      }
    }
    return addresses;
  });

const timeZone = z.string().refine(isTimeZone, "expected an IANA time zone such as Europe/Paris");

const optional = <T extends z.ZodType>(schema: T) =>
  z.preprocess((value) => (value === "" ? undefined : value), schema.optional());

const withDefault = <T extends z.ZodType>(schema: T, fallback: string) =>
  z.preprocess((value) => (value === undefined || value === "" ? fallback : value), schema);

export const logLevels = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

const environmentSchema = z
  .object({
    DATABASE_URL: optional(postgresUrl),
    DATABASE_POOL_SIZE: withDefault(integer(2, 500), "30"),
    EMBEDDED_POSTGRES_DIR: withDefault(z.string().min(1), ".switchboard/postgres"),
    EMBEDDED_POSTGRES_PORT: withDefault(integer(0, 65535), "0"),
    HOST: withDefault(z.string().min(1), "127.0.0.1"),
    PORT: withDefault(integer(0, 65535), "3000"),
    LOG_LEVEL: withDefault(z.enum(logLevels), "info"),
    WORKER_TYPE: withDefault(z.enum(workerTypes), "all"),
    CRONTAB_FILE: withDefault(z.string().min(1), "crontab"),
    SHUTDOWN_GRACE_MS: withDefault(integer(0, 3_600_000), "30000"),
    WORKER_HEARTBEAT_MS: withDefault(integer(100, 600_000), "5000"),
    WORKER_SILENT_AFTER_MS: withDefault(integer(1_000, 86_400_000), "30000"),
    WORKER_MAX_JOBS: withDefault(integer(0, 1_000_000_000), "0"),
    WORKER_MAX_RSS_MB: withDefault(integer(0, 1_000_000), "0"),
    LANE_CONCURRENCY: withDefault(laneConcurrency, ""),
    MIGRATE_ON_START: withDefault(boolean, "true"),
    API_RATE_LIMIT: withDefault(rateLimit, "600/m"),
    API_MAX_BODY_BYTES: withDefault(integer(1, 1_073_741_824), "1048576"),
    METRICS_OPEN: withDefault(boolean, "false"),
    API_DOCS_OPEN: withDefault(boolean, "false"),
    BULK_ACTION_MAX: withDefault(integer(1, 100_000), "1000"),
    DASHBOARD_SESSION_IDLE_MINUTES: withDefault(integer(1, 10_080), "30"),
    DASHBOARD_SESSION_MAX_HOURS: withDefault(integer(1, 8_760), "12"),
    TWILIO_ACCOUNT_SID: optional(
      z.string().regex(/^AC[0-9a-fA-F]{32}$/, "expected AC followed by 32 hex digits"),
    ),
    TWILIO_AUTH_TOKEN: optional(z.string().min(16, "expected a Twilio auth token")),
    TWILIO_PHONE_NUMBER: withDefault(e164, "+15005550006"),
    TWILIO_SIMULATOR_URL: optional(httpUrl),
    TWILIO_TIMEOUT_MS: withDefault(integer(100, 600_000), "30000"),
    TWILIO_CALLS_PER_SECOND: withDefault(integer(1, 1000), "1"),
    TWILIO_TRANSCRIPTION_SERVICE_SID: optional(z.string().min(1)),
    PUBLIC_BASE_URL: optional(httpUrl),
    ENABLE_TRANSCRIPTION: withDefault(boolean, "false"),
    RECORDING_STORAGE_BACKEND: withDefault(z.enum(["local", "s3"]), "local"),
    RECORDING_STORAGE_DIR: withDefault(z.string().min(1), ".switchboard/recordings"),
    RECORDING_ENCRYPTION_KEY: optional(z.string().min(1)),
    RECORDING_RETENTION_DAYS: withDefault(integer(1, 36_500), "365"),
    RECORDING_DELETE_FROM_TWILIO: withDefault(boolean, "false"),
    AWS_ACCESS_KEY_ID: optional(z.string().min(1)),
    AWS_SECRET_ACCESS_KEY: optional(z.string().min(1)),
    AWS_S3_REGION_NAME: withDefault(z.string().min(1), "us-east-1"),
    AWS_STORAGE_BUCKET_NAME: optional(z.string().min(1)),
    AWS_S3_ENDPOINT_URL: optional(httpUrl),
    REPORT_TIMEZONE: withDefault(timeZone, "UTC"),
    REPORTING_DATABASE_URL: optional(postgresUrl),
    REPORT_FRESH_SECONDS: withDefault(integer(0, 31 * 86_400), "3600"),
    SHORT_ABANDON_SECONDS: withDefault(
      integer(0, 3600),
      String(metricThresholdDefaults.shortAbandonSeconds),
    ),
    SERVICE_LEVEL_SECONDS: withDefault(
      integer(0, 86_400),
      String(metricThresholdDefaults.serviceLevelSeconds),
    ),
    SERVICE_LEVEL_TARGET: withDefault(fraction, "0.8"),
    GENERATED_FILES_DIR: withDefault(z.string().min(1), ".switchboard/files"),
    SIMULATED_INBOUND_CALLS_PER_MINUTE: withDefault(decimal(0, 600), "3"),
    SIMULATED_AGENTS: withDefault(integer(0, 1000), "4"),
    EXPORT_RETENTION_HOURS: withDefault(integer(1, 8_760), "24"),
    EXPORT_CHUNK_ROWS: withDefault(integer(100, 100_000), "10000"),
    EXPORT_YIELD_MS: withDefault(integer(0, 60_000), "2000"),
    EXECUTION_RETENTION_DAYS: withDefault(
      integer(1, 36_500),
      String(retentionDefaults.executionDays),
    ),
    CALL_LOG_RETENTION_DAYS: withDefault(integer(1, 36_500), String(retentionDefaults.callLogDays)),
    AUDIT_RETENTION_DAYS: withDefault(integer(1, 36_500), String(retentionDefaults.auditDays)),
    CRITICAL_ALERT_RECIPIENTS: withDefault(emailList, ""),
    ALERT_REPEAT_MINUTES: withDefault(
      integer(1, 10_080),
      String(defaultAlertSettings.repeatMinutes),
    ),
    ALERT_WINDOW_MINUTES: withDefault(
      integer(1, 1_440),
      String(defaultAlertSettings.windowMinutes),
    ),
    ALERT_DEAD_EXECUTIONS: withDefault(
      integer(1, 1_000_000),
      String(defaultAlertSettings.deadExecutions),
    ),
    ALERT_MAX_WAIT_SECONDS: withDefault(
      integer(1, 604_800),
      String(defaultAlertSettings.maxWaitSeconds),
    ),
    ALERT_DATABASE_LATENCY_MS: withDefault(
      integer(1, 600_000),
      String(defaultAlertSettings.databaseLatencyMs),
    ),
    ALERT_CRASH_LOOP_RESTARTS: withDefault(
      integer(1, 1_000),
      String(defaultAlertSettings.crashLoopRestarts),
    ),
    SMTP_URL: optional(smtpUrl),
    DEFAULT_FROM_EMAIL: withDefault(fromAddress, "Switchboard <noreply@localhost>"),
    SMTP_RATE_LIMIT: withDefault(rateLimit, "10/s"),
    SMTP_TIMEOUT_MS: withDefault(integer(100, 600_000), "30000"),
    DAILY_REPORT_RECIPIENTS: withDefault(emailList, ""),
    MAIL_DIR: withDefault(z.string().min(1), ".switchboard/mail"),
  })
  .superRefine((e, ctx) => {
    if (Boolean(e.TWILIO_ACCOUNT_SID) !== Boolean(e.TWILIO_AUTH_TOKEN)) {
      ctx.addIssue({
        code: "custom",
        path: [e.TWILIO_ACCOUNT_SID ? "TWILIO_AUTH_TOKEN" : "TWILIO_ACCOUNT_SID"],
        message:
          "set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN together, or neither (local simulator)",
      });
    }
    if (e.RECORDING_STORAGE_BACKEND === "s3" && !e.AWS_STORAGE_BUCKET_NAME) {
      ctx.addIssue({
        code: "custom",
        path: ["AWS_STORAGE_BUCKET_NAME"],
        message: "required when RECORDING_STORAGE_BACKEND=s3",
      });
    }
    if (Boolean(e.AWS_ACCESS_KEY_ID) !== Boolean(e.AWS_SECRET_ACCESS_KEY)) {
      ctx.addIssue({
        code: "custom",
        path: ["AWS_SECRET_ACCESS_KEY"],
        message: "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY together",
      });
    }
  });

export type Environment = z.infer<typeof environmentSchema>;

/** Every variable read here; the README's configuration table and `.env.example` list each. */
export const environmentVariables = Object.keys(environmentSchema.shape) as (keyof Environment)[];

export interface Config {
  databaseUrl: string | undefined;
  databasePoolSize: number;
  embeddedPostgres: { dataDir: string; port: number };
  http: { host: string; port: number };
  logLevel: (typeof logLevels)[number];
  workerType: WorkerType;
  crontabFile: string;
  shutdownGraceMs: number;
  migrateOnStart: boolean;
  /** The IANA time zone reports' days and hours are in. */
  reportTimeZone: string;
  /** Short abandons and the default service-level threshold of the call-center metrics. */
  metricThresholds: MetricThresholds;
  /** SERVICE_LEVEL_TARGET: the fraction of callers to answer within the threshold. */
  serviceLevelTarget: number;
  reporting: {
    /** A replica that reports and exports read from; unset: `DATABASE_URL`'s database. */
    databaseUrl: string | undefined;
    /** Folder of generated reports and exports with the local storage backend. */
    filesDir: string;
    /** How long a ready report is reused for the same parameters. */
    reportFreshSeconds: number;
    /** How long an export's file is kept. */
    exportRetentionHours: number;
    /** Calls an export reads per query. */
    exportChunkRows: number;
    /**
     * How long an export waits between chunks for urgent jobs that nobody takes, or for those
     * taken to finish.
     */
    exportYieldMs: number;
  };
  /**
   * The call center the local Twilio simulator plays into `start` and `demo` when no Twilio
   * credentials are set (src/twilio/simulator/callCenterPlayer.ts).
   */
  simulatedCallCenter: {
    /** Callers per minute into each call queue; 0: none (the simulated call center is off). */
    callsPerMinute: number;
    /** Simulated agents on duty. */
    agents: number;
  };
  /** How long executions, call logs and the audit log are kept (src/maintenance/). */
  retention: RetentionSettings;
  worker: {
    heartbeatIntervalMs: number;
    silentAfterMs: number;
    maxJobs: number;
    maxRssBytes: number;
    laneConcurrency: Partial<Record<LaneName, number>>;
  };
  api: {
    /** Requests per API token, shared by every API process. */
    rateLimit: RateLimit;
    maxBodyBytes: number;
    /** Serve `/metrics` without a token. */
    metricsOpen: boolean;
    /** Serve the OpenAPI document and docs page without a token. */
    docsOpen: boolean;
    bulkMaxBatch: number;
    /** Dashboard sessions end after this long idle, and this long after sign-in at most. */
    sessionLifetime: SessionLifetime;
  };
  twilio: {
    /** Unset: the local simulator stands in for Twilio. */
    credentials: { accountSid: string; authToken: string } | undefined;
    phoneNumber: string;
    simulatorUrl: string | undefined;
    timeoutMs: number;
    callsPerSecond: number;
    transcriptionServiceSid: string | undefined;
    /** Where Twilio reaches this API; signatures are checked against it. Unset: this process. */
    publicBaseUrl: string | undefined;
  };
  /** Critical alerts: thresholds of the named conditions and whom to mail (src/alerts/). */
  alerts: AlertSettings;
  email: {
    /** Unset: the local mail sink (an SMTP server in this process) receives every message. */
    smtpUrl: string | undefined;
    /** The From of every message (DEFAULT_FROM_EMAIL). */
    from: string;
    /** Messages per period, shared by every worker (SMTP_RATE_LIMIT). */
    rateLimit: RateLimit;
    timeoutMs: number;
    /** Where the scheduled daily, weekly and monthly reports are emailed. */
    reportRecipients: string[];
    /** Where the local mail sink keeps messages, one `.eml` file each. */
    mailDir: string;
  };
  recordings: {
    backend: "local" | "s3";
    localDir: string;
    encryptionKey: string | undefined;
    retentionDays: number;
    deleteFromTwilio: boolean;
    enableTranscription: boolean;
    s3: {
      bucket: string | undefined;
      region: string;
      endpoint: string | undefined;
      credentials: { accessKeyId: string; secretAccessKey: string } | undefined;
    };
  };
}

export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  ${problem}`).join("\n")}`);
    this.name = "ConfigError";
    this.problems = problems;
  }
}

/** Parses the given environment (default: `process.env`); throws `ConfigError` naming each bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = environmentSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`),
    );
  }
  const e = parsed.data;
  return {
    databaseUrl: e.DATABASE_URL,
    databasePoolSize: e.DATABASE_POOL_SIZE,
    embeddedPostgres: { dataDir: e.EMBEDDED_POSTGRES_DIR, port: e.EMBEDDED_POSTGRES_PORT },
    http: { host: e.HOST, port: e.PORT },
    logLevel: e.LOG_LEVEL,
    workerType: e.WORKER_TYPE,
    crontabFile: e.CRONTAB_FILE,
    shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
    migrateOnStart: e.MIGRATE_ON_START,
    reportTimeZone: e.REPORT_TIMEZONE,
    metricThresholds: {
      shortAbandonSeconds: e.SHORT_ABANDON_SECONDS,
      serviceLevelSeconds: e.SERVICE_LEVEL_SECONDS,
    },
    serviceLevelTarget: e.SERVICE_LEVEL_TARGET,
    reporting: {
      databaseUrl: e.REPORTING_DATABASE_URL,
      filesDir: e.GENERATED_FILES_DIR,
      reportFreshSeconds: e.REPORT_FRESH_SECONDS,
      exportRetentionHours: e.EXPORT_RETENTION_HOURS,
      exportChunkRows: e.EXPORT_CHUNK_ROWS,
      exportYieldMs: e.EXPORT_YIELD_MS,
    },
    simulatedCallCenter: {
      callsPerMinute: e.SIMULATED_INBOUND_CALLS_PER_MINUTE,
      agents: e.SIMULATED_AGENTS,
    },
    retention: {
      executionDays: e.EXECUTION_RETENTION_DAYS,
      callLogDays: e.CALL_LOG_RETENTION_DAYS,
      auditDays: e.AUDIT_RETENTION_DAYS,
    },
    worker: {
      heartbeatIntervalMs: e.WORKER_HEARTBEAT_MS,
      silentAfterMs: e.WORKER_SILENT_AFTER_MS,
      maxJobs: e.WORKER_MAX_JOBS,
      maxRssBytes: e.WORKER_MAX_RSS_MB * 1024 * 1024,
      laneConcurrency: e.LANE_CONCURRENCY,
    },
    api: {
      rateLimit: e.API_RATE_LIMIT,
      maxBodyBytes: e.API_MAX_BODY_BYTES,
      metricsOpen: e.METRICS_OPEN,
      docsOpen: e.API_DOCS_OPEN,
      bulkMaxBatch: e.BULK_ACTION_MAX,
      sessionLifetime: {
        idleMinutes: e.DASHBOARD_SESSION_IDLE_MINUTES,
        maxHours: e.DASHBOARD_SESSION_MAX_HOURS,
      },
    },
    twilio: {
      credentials:
        e.TWILIO_ACCOUNT_SID && e.TWILIO_AUTH_TOKEN
          ? { accountSid: e.TWILIO_ACCOUNT_SID, authToken: e.TWILIO_AUTH_TOKEN }
          : undefined,
      phoneNumber: e.TWILIO_PHONE_NUMBER,
      simulatorUrl: e.TWILIO_SIMULATOR_URL,
      timeoutMs: e.TWILIO_TIMEOUT_MS,
      callsPerSecond: e.TWILIO_CALLS_PER_SECOND,
      transcriptionServiceSid: e.TWILIO_TRANSCRIPTION_SERVICE_SID,
      publicBaseUrl: e.PUBLIC_BASE_URL,
    },
    alerts: {
      recipients: e.CRITICAL_ALERT_RECIPIENTS,
      repeatMinutes: e.ALERT_REPEAT_MINUTES,
      windowMinutes: e.ALERT_WINDOW_MINUTES,
      deadExecutions: e.ALERT_DEAD_EXECUTIONS,
      maxWaitSeconds: e.ALERT_MAX_WAIT_SECONDS,
      databaseLatencyMs: e.ALERT_DATABASE_LATENCY_MS,
      crashLoopRestarts: e.ALERT_CRASH_LOOP_RESTARTS,
      silentAfterMs: e.WORKER_SILENT_AFTER_MS,
    },
    email: {
      smtpUrl: e.SMTP_URL,
      from: e.DEFAULT_FROM_EMAIL,
      rateLimit: e.SMTP_RATE_LIMIT,
      timeoutMs: e.SMTP_TIMEOUT_MS,
      reportRecipients: e.DAILY_REPORT_RECIPIENTS,
      mailDir: e.MAIL_DIR,
    },
    recordings: {
      backend: e.RECORDING_STORAGE_BACKEND,
      localDir: e.RECORDING_STORAGE_DIR,
      encryptionKey: e.RECORDING_ENCRYPTION_KEY,
      retentionDays: e.RECORDING_RETENTION_DAYS,
      deleteFromTwilio: e.RECORDING_DELETE_FROM_TWILIO,
      enableTranscription: e.ENABLE_TRANSCRIPTION,
      s3: {
        bucket: e.AWS_STORAGE_BUCKET_NAME,
        region: e.AWS_S3_REGION_NAME,
        endpoint: e.AWS_S3_ENDPOINT_URL,
        credentials:
          e.AWS_ACCESS_KEY_ID && e.AWS_SECRET_ACCESS_KEY
            ? { accessKeyId: e.AWS_ACCESS_KEY_ID, secretAccessKey: e.AWS_SECRET_ACCESS_KEY }
            : undefined,
      },
    },
  };
}
