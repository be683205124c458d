import { beforeAll, describe, expect, it } from "vitest";
import type { CallCenterServices } from "../../src/callCenter/services.ts";
import { enqueue } from "../../src/engine/enqueue.ts";
import { PermanentError, SnoozeError } from "../../src/engine/errors.ts";
import { processRecording } from "../../src/recordings/processRecording.ts";
import {
  transcribeRecording,
  transcriptPollDelayMs,
} from "../../src/recordings/transcribeRecording.ts";
import { transcriptTextFor } from "../../src/twilio/simulator/sentences.ts";
import processCallRecording from "../../tasks/process_call_recording.ts";
import transcribeRecordingTask from "../../tasks/transcribe_recording.ts";
import { db, startTestWorker, waitFor, waitForStatus } from "../support/engine.ts";
import {
  jobContext,
  newRecording,
  simulatorMedia,
  simulatorRequests,
  withRecordings,
} from "../support/recordings.ts";
import { startTestServices, type TestServices } from "../support/services.ts";

let t: TestServices;
beforeAll(async () => {
  // Twilio takes 300 ms per transcript here, so the first look always finds it unfinished.
  t = await startTestServices({ timing: { transcriptMs: 300 } });
});

const transcriptCreations = () => simulatorRequests(t, "POST", /^\/v2\/Transcripts$/).length;
const transcriptRow = (recordingId: number) =>
  db()
    .selectFrom("transcripts")
    .selectAll()
    .where("recording_id", "=", recordingId)
    .executeTakeFirst();

/** A recording stored through processing, called directly. */
async function storedRecording(services: CallCenterServices) {
  const recording = await newRecording(db(), t);
  await processRecording(jobContext(db(), services), recording.id);
  return recording;
}

/** Runs transcription directly until it stops snoozing; returns the snoozes seen. */
async function transcribeUntilDone(services: CallCenterServices, recordingId: number) {
  const snoozes: SnoozeError[] = [];
  for (;;) {
    try {
      const result = await transcribeRecording(
        { db: db(), services },
        { recordingId, language: "en-US" },
      );
      return { result, snoozes };
    } catch (error) {
      if (!(error instanceof SnoozeError)) throw error;
      snoozes.push(error);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

describe("transcribe_recording", () => {
  it("through the worker: created once, snoozed until Twilio completes it, text stored", async () => {
    const services = withRecordings(t.services, { enableTranscription: true });
    await startTestWorker([processCallRecording, transcribeRecordingTask], { services });
    const recording = await newRecording(db(), t);
    const creations = transcriptCreations();
    const processing = await enqueue(db(), processCallRecording, { recording_id: recording.id });
    await waitForStatus(processing, "succeeded");

    const transcription = await waitFor(() =>
      db()
        .selectFrom("executions")
        .selectAll()
        .where("task_name", "=", "transcribe_recording")
        .where("parent_id", "=", processing)
        .executeTakeFirst(),
    );
    const done = await waitForStatus(transcription.public_id, ["succeeded", "dead"]);
    expect(done.status).toBe("succeeded");
    expect(done.attempts).toBe(1);
    expect(done.result).toMatchObject({ outcome: "completed", language: "en-US" });
    const history = await db()
      .selectFrom("execution_attempts")
      .select("outcome")
      .where("execution_id", "=", done.id)
      .execute();
    expect(history.map((h) => h.outcome)).toContain("snoozed");

    const row = await transcriptRow(recording.id);
    expect(row).toMatchObject({
      language: "en-US",
      status: "completed",
      text: transcriptTextFor(recording.sid),
    });
    expect(row?.provider_sid).toMatch(/^GT[0-9a-f]{32}$/);
    expect(row?.completed_at).toBeInstanceOf(Date);
    expect(transcriptCreations() - creations).toBe(1);
  });

  it("a re-run continues the transcript it started instead of creating another", async () => {
    const services = withRecordings(t.services, { enableTranscription: true });
    const recording = await storedRecording(services);
    const creations = transcriptCreations();

    const first = transcribeRecording(
      { db: db(), services },
      { recordingId: recording.id, language: "en-US" },
    );
    await expect(first).rejects.toBeInstanceOf(SnoozeError);
    const pending = await transcriptRow(recording.id);
    expect(pending).toMatchObject({ status: "pending", text: null });

    const { result, snoozes } = await transcribeUntilDone(services, recording.id);
    expect(snoozes.length).toBeGreaterThan(0);
    expect(result).toMatchObject({ outcome: "completed", provider_sid: pending?.provider_sid });
    expect(transcriptCreations() - creations).toBe(1);
    // Once completed, running it again changes nothing and asks Twilio nothing.
    const requests = t.simulator.eventLog().requests.length;
    const again = await transcribeRecording(
      { db: db(), services },
      { recordingId: recording.id, language: "en-US" },
    );
    expect(again.outcome).toBe("already_completed");
    expect(t.simulator.eventLog().requests.length).toBe(requests);
  });

  it("with deleteFromTwilio, the Twilio copy goes only after the transcript ended", async () => {
    const services = withRecordings(t.services, {
      enableTranscription: true,
      deleteFromTwilio: true,
    });
    const recording = await storedRecording(services);
    // Stored, but still on Twilio: Voice Intelligence reads it from there.
    expect(await simulatorMedia(t, recording.sid)).toBeInstanceOf(Buffer);

    const { result } = await transcribeUntilDone(services, recording.id);
    expect(result).toMatchObject({ outcome: "completed", deleted_from_twilio: true });
    expect(await simulatorMedia(t, recording.sid)).toBe(404);
    const row = await db()
      .selectFrom("recordings")
      .selectAll()
      .where("id", "=", recording.id)
      .executeTakeFirstOrThrow();
    expect(row.deleted_from_twilio_at).toBeInstanceOf(Date);
  });

  it("a transcript Twilio fails ends failed, for good", async () => {
    const services = withRecordings(t.services, { enableTranscription: true });
    // Stored here, but unknown to Twilio: its transcript fails there.
    const recording = await db()
      .insertInto("recordings")
      .values({
        sid: `RE${"0".repeat(31)}9`,
        call_sid: `CA${"0".repeat(32)}`,
        status: "stored",
        storage_key: "2026/01/01/x.wav.enc",
        size_bytes: 1,
        stored_at: new Date(),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await expect(transcribeUntilDone(services, recording.id)).rejects.toBeInstanceOf(
      PermanentError,
    );
    const row = await transcriptRow(recording.id);
    expect(row?.status).toBe("failed");
    expect(row?.error_message).toMatch(/ended failed/);
  });

  it("refuses a recording that is not stored yet (retryable) or unknown (for good)", async () => {
    const services = withRecordings(t.services, { enableTranscription: true });
    const pending = await newRecording(db(), t);
    const attempt = transcribeRecording(
      { db: db(), services },
      { recordingId: pending.id, language: "en-US" },
    );
    await expect(attempt).rejects.toThrow(/pending, not stored yet/);
    await expect(attempt).rejects.not.toBeInstanceOf(PermanentError);
    await expect(
      transcribeRecording({ db: db(), services }, { recordingId: 999_999, language: "en-US" }),
    ).rejects.toBeInstanceOf(PermanentError);
  });

  it("snoozes for a quarter of the wait so far, between 1 s and 60 s", () => {
    expect(transcriptPollDelayMs(0)).toBe(1_000);
    expect(transcriptPollDelayMs(20_000)).toBe(5_000);
    expect(transcriptPollDelayMs(3_600_000)).toBe(60_000);
  });
});
