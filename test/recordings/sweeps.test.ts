import { randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Recording } from "../../src/database/schema.ts";
import { enqueue } from "../../src/engine/enqueue.ts";
import { archiveOldRecordings } from "../../src/recordings/archiveRecordings.ts";
import { processRecording } from "../../src/recordings/processRecording.ts";
import { sweepPendingRecordings } from "../../src/recordings/sweepRecordings.ts";
import { sweepPendingTranscripts } from "../../src/recordings/sweepTranscripts.ts";
import { recordingKeyFor } from "../../src/storage/recordingKey.ts";
import archiveOldRecordingsTask from "../../tasks/archive_old_recordings.ts";
import processCallRecording from "../../tasks/process_call_recording.ts";
import processPendingRecordings from "../../tasks/process_pending_recordings.ts";
import transcribeRecording from "../../tasks/transcribe_recording.ts";
import { db, startTestWorker, waitFor, waitForStatus } from "../support/engine.ts";
import {
  jobContext,
  newRecording,
  simulatorRequests,
  withRecordings,
} from "../support/recordings.ts";
import { startTestServices, type TestServices } from "../support/services.ts";

let t: TestServices;
beforeAll(async () => {
  t = await startTestServices();
});
// Sweeps look at every recording: each test starts from none.
beforeEach(async () => {
  await db().deleteFrom("transcripts").execute();
  await db().deleteFrom("recordings").execute();
});

const fakeSid = () => `RE${randomBytes(16).toString("hex")}`;
const DAY = 86_400_000;

/** A recording row without a simulator recording behind it. */
async function row(values: Partial<Recording> & { ageMs?: number } = {}) {
  const { ageMs = 0, ...rest } = values;
  return db()
    .insertInto("recordings")
    .values({
      sid: fakeSid(),
      call_sid: `CA${randomBytes(16).toString("hex")}`,
      created_at: new Date(Date.now() - ageMs),
      ...rest,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

async function deadRun(sid: string) {
  await db()
    .insertInto("executions")
    .values({
      task_name: "process_call_recording",
      lane: "recordings",
      status: "dead",
      payload: JSON.stringify({ recording_id: 0 }),
      priority: 6,
      max_attempts: 5,
      run_at: new Date(),
      job_key: `recording:${sid}`,
    })
    .execute();
}

const liveKeyed = (key: string) =>
  db()
    .selectFrom("executions")
    .select(["public_id", "payload", "parent_id"])
    .where("job_key", "=", key)
    .where("status", "in", ["queued", "scheduled", "running", "retrying"])
    .execute();

describe("process_pending_recordings", () => {
  it("enqueues old pending, failed with runs left and orphaned processing recordings, once", async () => {
    const oldPending = await row({ ageMs: 2 * 60_000 });
    const newPending = await row();
    const failed = await row({ status: "failed" });
    const exhausted = await row({ status: "failed" });
    for (let i = 0; i < 3; i++) await deadRun(exhausted.sid);
    const orphaned = await row({ status: "processing" });
    const claimed = await row({ status: "processing" });
    await enqueue(db(), processCallRecording, { recording_id: claimed.id });
    const stored = await row({ status: "stored", ageMs: DAY });

    const first = await sweepPendingRecordings(db(), { processTask: processCallRecording });
    expect(first).toMatchObject({ pending: 1, failed: 1, orphaned: 1 });
    expect(first.executions).toHaveLength(3);
    for (const recording of [oldPending, failed, orphaned]) {
      const live = await liveKeyed(`recording:${recording.sid}`);
      expect(live).toHaveLength(1);
      expect(live[0]?.payload).toEqual({ recording_id: recording.id });
    }
    for (const recording of [newPending, exhausted, claimed, stored]) {
      expect(await liveKeyed(`recording:${recording.sid}`)).toEqual([]);
    }

    // Again: the keyed live executions come back, nothing new is added; the orphan now has a
    // live execution, so it is no longer an orphan.
    const second = await sweepPendingRecordings(db(), { processTask: processCallRecording });
    expect(second).toMatchObject({ pending: 1, failed: 1, orphaned: 0 });
    expect(first.executions).toEqual(expect.arrayContaining(second.executions));
    for (const recording of [oldPending, failed, orphaned]) {
      expect(await liveKeyed(`recording:${recording.sid}`)).toHaveLength(1);
    }
  });

  it("runs from the worker and gets a stuck recording stored", async () => {
    await startTestWorker([processPendingRecordings, processCallRecording], {
      services: withRecordings(t.services, { enableTranscription: false }),
    });
    const recording = await newRecording(db(), t);
    await db()
      .updateTable("recordings")
      .set({ created_at: new Date(Date.now() - 5 * 60_000) })
      .where("id", "=", recording.id)
      .execute();
    const sweep = await enqueue(db(), processPendingRecordings, {});
    const done = await waitForStatus(sweep, "succeeded");
    expect((done.result as { executions: string[] }).executions).toHaveLength(1);
    const [child] = (done.result as { executions: string[] }).executions;
    await waitForStatus(child as string, "succeeded");
    const stored = await db()
      .selectFrom("recordings")
      .select("status")
      .where("id", "=", recording.id)
      .executeTakeFirstOrThrow();
    expect(stored.status).toBe("stored");
  });

  it("a processing claim is taken back only when no other live execution holds it", async () => {
    const services = withRecordings(t.services, { enableTranscription: false });
    const recording = await newRecording(db(), t, { status: "processing" });
    // Another live job refers to it: leave it alone.
    const holder = await enqueue(db(), processCallRecording, { recording_id: recording.id });
    const busy = await processRecording(jobContext(db(), services), recording.id);
    expect(busy.outcome).toBe("busy");
    expect(simulatorRequests(t, "GET", new RegExp(`${recording.sid}\\.wav$`))).toHaveLength(0);
    // The holder itself (say, re-run after its worker died) takes it back.
    const resumed = await processRecording(
      { ...jobContext(db(), services), executionId: holder },
      recording.id,
    );
    expect(resumed.outcome).toBe("stored");
  });
});

describe("transcribe_pending_recordings", () => {
  it("enqueues stored recordings with no transcript, or a pending one; nothing when disabled", async () => {
    const bare = await row({ status: "stored", stored_at: new Date() });
    const pendingTranscript = await row({ status: "stored", stored_at: new Date() });
    const completed = await row({ status: "stored", stored_at: new Date() });
    const failedTranscript = await row({ status: "stored", stored_at: new Date() });
    const goneFromTwilio = await row({
      status: "stored",
      stored_at: new Date(),
      deleted_from_twilio_at: new Date(),
    });
    const notStored = await row({ status: "pending" });
    await db()
      .insertInto("transcripts")
      .values([
        { recording_id: pendingTranscript.id, language: "en-US", status: "pending" },
        { recording_id: completed.id, language: "en-US", status: "completed", text: "hi" },
        { recording_id: failedTranscript.id, language: "en-US", status: "failed" },
      ])
      .execute();

    const off = await sweepPendingTranscripts(db(), {
      transcribeTask: transcribeRecording,
      enabled: false,
    });
    expect(off).toEqual({ enabled: false, executions: [] });
    expect(await liveKeyed(`transcript:${bare.id}:en-US`)).toEqual([]);

    const on = await sweepPendingTranscripts(db(), {
      transcribeTask: transcribeRecording,
      enabled: true,
    });
    expect(on.executions).toHaveLength(2);
    for (const recording of [bare, pendingTranscript]) {
      const live = await liveKeyed(`transcript:${recording.id}:en-US`);
      expect(live[0]?.payload).toEqual({ recording_id: recording.id, language: "en-US" });
    }
    for (const recording of [completed, failedTranscript, goneFromTwilio, notStored]) {
      expect(await liveKeyed(`transcript:${recording.id}:en-US`)).toEqual([]);
    }
    const again = await sweepPendingTranscripts(db(), {
      transcribeTask: transcribeRecording,
      enabled: true,
    });
    expect(again.executions.sort()).toEqual(on.executions.sort());
  });
});

describe("archive_old_recordings", () => {
  async function storedFor(days: number) {
    const sid = fakeSid();
    const storedAt = new Date(Date.now() - days * DAY);
    const key = recordingKeyFor(sid, storedAt);
    const put = await t.services.recordings.store.put(key, Readable.from([randomBytes(2048)]));
    return row({
      sid,
      status: "stored",
      storage_key: key,
      size_bytes: put.bytes,
      sha256: put.sha256,
      encrypted: true,
      stored_at: storedAt,
    });
  }

  it("past retention: the audio leaves the store, the row is kept as archived", async () => {
    const old = await storedFor(400);
    const recent = await storedFor(10);
    const oldPending = await row({ ageMs: 400 * DAY });
    const store = t.services.recordings.store;

    const result = await archiveOldRecordings(db(), { store, retentionDays: 365 });
    expect(result.archived).toBeGreaterThanOrEqual(1);
    const rows = await db()
      .selectFrom("recordings")
      .selectAll()
      .where("id", "in", [old.id, recent.id, oldPending.id])
      .orderBy("id")
      .execute();
    expect(rows.map((r) => r.status)).toEqual(["archived", "stored", "pending"]);
    const [archived] = rows;
    expect(archived?.archived_at).toBeInstanceOf(Date);
    // The archive record keeps what identifies the audio.
    expect(archived).toMatchObject({ sha256: old.sha256, size_bytes: 2048, sid: old.sid });
    expect(await store.exists(old.storage_key as string)).toBe(false);
    expect(await store.exists(recent.storage_key as string)).toBe(true);

    // A second run has nothing left to do.
    expect((await archiveOldRecordings(db(), { store, retentionDays: 365 })).archived).toBe(0);
  });

  it("runs from the worker with the configured retention", async () => {
    const old = await storedFor(40);
    await startTestWorker([archiveOldRecordingsTask], {
      services: withRecordings(t.services, { retentionDays: 30 }),
    });
    const id = await enqueue(db(), archiveOldRecordingsTask, {});
    const done = await waitForStatus(id, "succeeded");
    expect((done.result as { archived: number }).archived).toBeGreaterThanOrEqual(1);
    const status = await waitFor(async () => {
      const r = await db()
        .selectFrom("recordings")
        .select("status")
        .where("id", "=", old.id)
        .executeTakeFirstOrThrow();
      return r.status === "archived" && r.status;
    });
    expect(status).toBe("archived");
    expect(await t.services.recordings.store.exists(old.storage_key as string)).toBe(false);
  });

  it("refuses a retention that is not a positive number of days", async () => {
    await expect(
      archiveOldRecordings(db(), { store: t.services.recordings.store, retentionDays: 0 }),
    ).rejects.toThrow(/retentionDays/);
  });
});
