/**
 * Real services for call-center tests: the local Twilio simulator over real HTTP through the
 * real SDK, encrypted stores of recordings and generated files in temporary folders, the file's
 * database for reports, and the local mail sink (real SMTP) keeping mail in a temporary folder.
 * Stopped after the file.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll } from "vitest";
import type { CallCenterServices } from "../../src/callCenter/services.ts";
import { MailSink } from "../../src/email/mailSink.ts";
import { createSmtpTransport } from "../../src/email/transport.ts";
import { parseRateLimit } from "../../src/shared/rateLimitSpec.ts";
import { createRecordingStore } from "../../src/storage/createRecordingStore.ts";
import { generateEncryptionKey, parseEncryptionKey } from "../../src/storage/encryption.ts";
import { closeTwilioClient, createTwilioClient } from "../../src/twilio/client.ts";
import type { SimulatorTiming } from "../../src/twilio/simulator/options.ts";
import { TwilioSimulator } from "../../src/twilio/simulator/simulator.ts";
import { testDb } from "./database.ts";

export interface TestServices {
  services: CallCenterServices;
  simulator: TwilioSimulator;
  recordingsDir: string;
  /** Where generated files (reports, exports) are stored. */
  filesDir: string;
  /** Where the local mail sink keeps what the services send. */
  mailDir: string;
  encryptionKey: string;
}

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

export async function startTestServices(
  options: { timing?: Partial<SimulatorTiming>; callsPerSecond?: number } = {},
): Promise<TestServices> {
  const simulator = new TwilioSimulator({ timing: options.timing ?? {} });
  const { url } = await simulator.start();
  const client = createTwilioClient({
    accountSid: simulator.accountSid,
    authToken: simulator.authToken,
    simulatorUrl: url,
  });
  const recordingsDir = await mkdtemp(path.join(tmpdir(), "switchboard-recordings-"));
  const encryptionKey = generateEncryptionKey();
  const store = await createRecordingStore({
    backend: "local",
    localDir: recordingsDir,
    encryptionKey: parseEncryptionKey(encryptionKey),
  });
  const filesDir = await mkdtemp(path.join(tmpdir(), "switchboard-files-"));
  const files = await createRecordingStore({
    backend: "local",
    localDir: filesDir,
    encryptionKey: parseEncryptionKey(encryptionKey),
  });
  const mailDir = await mkdtemp(path.join(tmpdir(), "switchboard-mail-"));
  const sink = new MailSink({ mailDir });
  const { url: sinkUrl } = await sink.start();
  const transport = createSmtpTransport(sinkUrl, { timeoutMs: 5_000 });
  cleanups.push(async () => {
    transport.close();
    await sink.stop();
    await rm(mailDir, { recursive: true, force: true });
    closeTwilioClient(client);
    await simulator.stop();
    await rm(recordingsDir, { recursive: true, force: true });
    await rm(filesDir, { recursive: true, force: true });
  });
  return {
    simulator,
    recordingsDir,
    filesDir,
    mailDir,
    encryptionKey,
    services: {
      email: {
        transport,
        from: "Switchboard <noreply@switchboard.test>",
        rateLimit: parseRateLimit("1000/s"),
        sink: true,
        mailDir,
        reportRecipients: [],
      },
      twilio: {
        client,
        accountSid: simulator.accountSid,
        authToken: simulator.authToken,
        phoneNumber: "+15005550006",
        // Set by the test once its API listens (see startTestApi in test/support/callCenter.ts).
        publicBaseUrl: "http://127.0.0.1:9",
        callsPerSecond: options.callsPerSecond ?? 100,
        transcriptionServiceSid: "GA00000000000000000000000000000001",
        simulated: true,
      },
      recordings: { store, retentionDays: 365, deleteFromTwilio: false, enableTranscription: true },
      reporting: {
        db: testDb().db,
        pool: testDb().pool,
        files,
        timeZone: "UTC",
        serviceLevelTarget: 0.8,
        exportRetentionHours: 24,
        exportChunkRows: 5_000,
        exportYieldMs: 2_000,
      },
    },
  };
}
