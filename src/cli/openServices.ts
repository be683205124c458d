/**
 * Builds the services tasks use from configuration: Twilio through the SDK — pointed at the
 * local simulator (started in this process) when no credentials are configured; the client is
 * built on first use, so a worker that never calls Twilio never loads the SDK — the encrypted
 * stores of recordings and of generated files, the database reports read, and SMTP — the
 * SMTP_URL server, or the local mail sink (started in this process) when none is configured.
 */
import type { KeyObject } from "node:crypto";
import type twilio from "twilio";
import type { CallCenterServices, EmailService } from "../callCenter/services.ts";
import type { Config } from "../config.ts";
import { createDb, createPool } from "../database/pool.ts";
import { MailSink } from "../email/mailSink.ts";
import { createSmtpTransport } from "../email/transport.ts";
import type { Logger } from "../observability/logger.ts";
import { localSecretPath, readOrCreateLocalSecret } from "../shared/localSecrets.ts";
import { createRecordingStore } from "../storage/createRecordingStore.ts";
import { generateEncryptionKey, parseEncryptionKey } from "../storage/encryption.ts";
import { closeTwilioClient, createTwilioClient } from "../twilio/client.ts";
import { installationSimulatorToken } from "../twilio/simulator/installationToken.ts";
import { defaultAccountSid } from "../twilio/simulator/options.ts";
import { TwilioSimulator } from "../twilio/simulator/simulator.ts";
import type { Runtime } from "./runtime.ts";

/** A simulated call rings, talks and hangs up at a human pace in the default run. */
const demoTiming = {
  stepMs: 300,
  ringMs: 1_500,
  talkMs: 4_000,
  recordingMs: 500,
  transcriptMs: 1_000,
};

export interface OpenedServices extends CallCenterServices {
  /** The Twilio simulator's URL when Twilio is simulated (this process's, or TWILIO_SIMULATOR_URL). */
  simulatorUrl: string | undefined;
}

export async function openServices(runtime: Runtime): Promise<OpenedServices> {
  const { config, logger, lifecycle } = runtime;
  const twilioConfig = config.twilio;
  let accountSid = twilioConfig.credentials?.accountSid ?? defaultAccountSid;
  let authToken = twilioConfig.credentials?.authToken ?? (await installationSimulatorToken(config));
  let simulatorUrl = twilioConfig.credentials ? undefined : twilioConfig.simulatorUrl;
  if (!twilioConfig.credentials && !simulatorUrl) {
    const simulator = new TwilioSimulator({
      accountSid,
      authToken,
      timing: demoTiming,
      logger: logger.child({ component: "twilio-simulator" }),
    });
    simulatorUrl = (await simulator.start()).url;
    accountSid = simulator.accountSid;
    authToken = simulator.authToken;
    lifecycle.onStop(() => simulator.stop());
  }
  // Built on first use, so a worker whose tasks never call Twilio never loads the SDK.
  let client: twilio.Twilio | undefined;
  const twilioClient = () => {
    client ??= createTwilioClient({
      accountSid,
      authToken,
      simulatorUrl,
      timeoutMs: twilioConfig.timeoutMs,
    });
    return client;
  };
  lifecycle.onStop(() => {
    if (client) closeTwilioClient(client);
  });
  logger.info(
    simulatorUrl ? { simulator: simulatorUrl } : { accountSid },
    simulatorUrl
      ? "Twilio: the local simulator (no TWILIO_ACCOUNT_SID set)"
      : "Twilio: live account",
  );

  const key = parseEncryptionKey(await encryptionKey(config, logger));
  const store = await createRecordingStore(storeOptions(config, config.recordings.localDir, key));
  lifecycle.onStop(() => store.close());
  const files = await createRecordingStore(storeOptions(config, config.reporting.filesDir, key));
  lifecycle.onStop(() => files.close());

  const transcriptionServiceSid =
    twilioConfig.transcriptionServiceSid ??
    (simulatorUrl ? "GA00000000000000000000000000000001" : undefined);
  const enableTranscription =
    config.recordings.enableTranscription && transcriptionServiceSid !== undefined;
  if (config.recordings.enableTranscription && !enableTranscription) {
    logger.warn(
      "ENABLE_TRANSCRIPTION is on but TWILIO_TRANSCRIPTION_SERVICE_SID is not set: transcription is off",
    );
  }
  const email = await openEmail(runtime);
  return {
    simulatorUrl,
    email,
    twilio: {
      get client() {
        return twilioClient();
      },
      accountSid,
      authToken,
      phoneNumber: twilioConfig.phoneNumber,
      publicBaseUrl: twilioConfig.publicBaseUrl ?? `http://${config.http.host}:${config.http.port}`,
      callsPerSecond: twilioConfig.callsPerSecond,
      transcriptionServiceSid: transcriptionServiceSid ?? "",
      simulated: simulatorUrl !== undefined,
    },
    recordings: {
      store,
      retentionDays: config.recordings.retentionDays,
      deleteFromTwilio: config.recordings.deleteFromTwilio,
      enableTranscription,
    },
    reporting: {
      ...reportingDatabase(runtime),
      files,
      timeZone: config.reportTimeZone,
      reportFreshSeconds: config.reporting.reportFreshSeconds,
      metricThresholds: config.metricThresholds,
      serviceLevelTarget: config.serviceLevelTarget,
      exportRetentionHours: config.reporting.exportRetentionHours,
      exportChunkRows: config.reporting.exportChunkRows,
      exportYieldMs: config.reporting.exportYieldMs,
    },
    retention: config.retention,
    alerts: config.alerts,
  };
}

/** SMTP_URL's server, else the local mail sink on loopback: nothing leaves the machine. */
async function openEmail({ config, logger, lifecycle }: Runtime): Promise<EmailService> {
  const { smtpUrl, timeoutMs, mailDir } = config.email;
  let url = smtpUrl;
  if (!url) {
    const sink = new MailSink({ mailDir });
    url = (await sink.start()).url;
    lifecycle.onStop(() => sink.stop());
    logger.info(
      { sink: url, mailDir },
      "Email: the local mail sink keeps every message (no SMTP_URL set)",
    );
  } else {
    const { host, port, protocol } = new URL(smtpUrl as string);
    logger.info({ host, port, protocol }, "Email: sending through SMTP_URL");
  }
  const transport = createSmtpTransport(url, { timeoutMs });
  lifecycle.onStop(() => transport.close());
  return {
    transport,
    from: config.email.from,
    rateLimit: config.email.rateLimit,
    sink: !smtpUrl,
    mailDir,
    reportRecipients: config.email.reportRecipients,
  };
}

/** The replica at `REPORTING_DATABASE_URL` when set, else the main database. */
function reportingDatabase(runtime: Runtime) {
  const url = runtime.config.reporting.databaseUrl;
  if (!url) return { db: runtime.database.db, pool: runtime.database.pool };
  const pool = createPool(url, runtime.config.databasePoolSize);
  runtime.lifecycle.onStop(() => pool.end());
  return { db: createDb(pool), pool };
}

/** Recordings and generated files share the backend and the key; locally, each has its folder. */
function storeOptions(config: Config, localDir: string, encryptionKey: KeyObject) {
  return {
    backend: config.recordings.backend,
    localDir,
    encryptionKey,
    ...(config.recordings.backend === "s3"
      ? {
          s3: {
            bucket: config.recordings.s3.bucket as string,
            region: config.recordings.s3.region,
            ...(config.recordings.s3.endpoint
              ? { endpoint: config.recordings.s3.endpoint, forcePathStyle: true }
              : {}),
            ...(config.recordings.s3.credentials
              ? { credentials: config.recordings.s3.credentials }
              : {}),
          },
        }
      : {}),
  };
}

/**
 * `RECORDING_ENCRYPTION_KEY`, or — for a local run without one — a key generated once into
 * `.switchboard/recording.key` (warned about: recordings are then only as safe as that file).
 */
async function encryptionKey(config: Config, logger: Logger): Promise<string> {
  if (config.recordings.encryptionKey) return config.recordings.encryptionKey;
  const file = localSecretPath(config, "recording.key");
  const key = await readOrCreateLocalSecret(file, generateEncryptionKey);
  logger.warn({ file }, "RECORDING_ENCRYPTION_KEY is not set: using a generated local key");
  return key;
}
