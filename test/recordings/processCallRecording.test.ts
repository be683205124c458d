import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { buffer } from "node:stream/consumers";
import { beforeAll, describe, expect, it } from "vitest";
import { enqueue } from "../../src/engine/enqueue.ts";
import { EnqueueError } from "../../src/engine/errors.ts";
import { fetchTwilioRecording } from "../../src/recordings/twilioMedia.ts";
import processCallRecording from "../../tasks/process_call_recording.ts";
import transcribeRecording from "../../tasks/transcribe_recording.ts";
import { db, startTestWorker, waitForStatus } from "../support/engine.ts";
import {
  filesUnder,
  insertRecording,
  newRecording,
  recordedCall,
  sha256,
  simulatorMedia,
  simulatorRequests,
  withRecordings,
} from "../support/recordings.ts";
import { startTestServices, type TestServices } from "../support/services.ts";

let t: TestServices;
beforeAll(async () => {
  t = await startTestServices();
});

const noTranscription = () => withRecordings(t.services, { enableTranscription: false });
const recordingRow = (id: number) =>
  db().selectFrom("recordings").selectAll().where("id", "=", id).executeTakeFirstOrThrow();
const mediaPath = (sid: string) => new RegExp(`/Recordings/${sid}\\.wav$`);

async function run(payload: { recording_id?: number; call_id?: number }) {
  const id = await enqueue(db(), processCallRecording, payload);
  return waitForStatus(id, ["succeeded", "dead"]);
}

describe("process_call_recording", () => {
  it("streams the Twilio audio into the store encrypted: exact bytes, size and checksum", async () => {
    await startTestWorker([processCallRecording], { services: noTranscription() });
    const recording = await newRecording(db(), t);
    const audio = (await simulatorMedia(t, recording.sid)) as Buffer;
    expect(audio.subarray(0, 4).toString("ascii")).toBe("RIFF");

    const done = await run({ recording_id: recording.id });
    expect(done.status).toBe("succeeded");
    expect(done.result).toMatchObject({ outcome: "stored", size_bytes: audio.length });

    const row = await recordingRow(recording.id);
    expect(row).toMatchObject({
      status: "stored",
      encrypted: true,
      size_bytes: audio.length,
      sha256: sha256(audio),
      duration_seconds: 1,
      error_message: null,
      deleted_from_twilio_at: null,
    });
    expect(row.stored_at).toBeInstanceOf(Date);
    expect(row.storage_key).toMatch(
      new RegExp(`^\\d{4}/\\d{2}/\\d{2}/${recording.sid}\\.wav\\.enc$`),
    );

    // On disk: ciphertext, 33 bytes longer, holding no run of the audio.
    const onDisk = await readFile(path.join(t.recordingsDir, row.storage_key as string));
    expect(onDisk.length).toBe(audio.length + 33);
    expect(onDisk.subarray(0, 4).toString("ascii")).toBe("SBE1");
    expect(onDisk.includes(audio.subarray(0, 4))).toBe(false); // "RIFF"
    expect(onDisk.includes(audio.subarray(44, 108))).toBe(false); // PCM samples
    // Decrypted: the simulator's audio exactly.
    const decrypted = await buffer(
      await t.services.recordings.store.get(row.storage_key as string),
    );
    expect(sha256(decrypted)).toBe(sha256(audio));
    expect(decrypted.equals(audio)).toBe(true);
    // The Twilio copy stays unless deleteFromTwilio.
    expect(await simulatorMedia(t, recording.sid)).toBeInstanceOf(Buffer);
  });

  it("with deleteFromTwilio, deletes the Twilio copy once the row says stored", async () => {
    const services = withRecordings(t.services, {
      deleteFromTwilio: true,
      enableTranscription: false,
    });
    await startTestWorker([processCallRecording], { services });
    const recording = await newRecording(db(), t);
    const audio = (await simulatorMedia(t, recording.sid)) as Buffer;

    const done = await run({ recording_id: recording.id });
    expect(done.result).toMatchObject({ outcome: "stored", deleted_from_twilio: true });
    const row = await recordingRow(recording.id);
    expect(row.status).toBe("stored");
    expect(row.deleted_from_twilio_at).toBeInstanceOf(Date);
    expect((row.deleted_from_twilio_at as Date) >= (row.stored_at as Date)).toBe(true);
    expect(await simulatorMedia(t, recording.sid)).toBe(404);
    const [download] = simulatorRequests(t, "GET", mediaPath(recording.sid));
    const [removal] = simulatorRequests(
      t,
      "DELETE",
      new RegExp(`/Recordings/${recording.sid}\\.json$`),
    );
    expect(removal?.status).toBe(204);
    expect((removal?.at ?? 0) >= (download?.at ?? Infinity)).toBe(true);
    // What we keep is still the audio.
    const kept = await buffer(await t.services.recordings.store.get(row.storage_key as string));
    expect(kept.equals(audio)).toBe(true);
  });

  it("is idempotent: a stored recording is a no-op", async () => {
    await startTestWorker([processCallRecording], { services: noTranscription() });
    const recording = await newRecording(db(), t);
    await run({ recording_id: recording.id });
    const first = await recordingRow(recording.id);
    const file = path.join(t.recordingsDir, first.storage_key as string);
    const before = await stat(file);

    const again = await run({ recording_id: recording.id });
    expect(again.status).toBe("succeeded");
    expect(again.result).toMatchObject({ outcome: "already_stored" });
    expect(await recordingRow(recording.id)).toEqual(first);
    expect((await stat(file)).mtimeMs).toBe(before.mtimeMs);
    expect(simulatorRequests(t, "GET", mediaPath(recording.sid))).toHaveLength(1);
  });

  it("two jobs for one recording at once download it once", async () => {
    await startTestWorker([processCallRecording], { services: noTranscription() });
    const recording = await newRecording(db(), t);
    // The download is slow, so the second job runs while the first holds the claim.
    t.simulator.injectFault({
      kind: "slow",
      ms: 400,
      match: { method: "GET", path: `${recording.sid}\\.wav$` },
    });
    const ids = await Promise.all([
      enqueue(db(), processCallRecording, { recording_id: recording.id }),
      enqueue(db(), processCallRecording, { recording_id: recording.id }),
    ]);
    const done = await Promise.all(ids.map((id) => waitForStatus(id, ["succeeded", "dead"])));
    expect(done.map((e) => e.status)).toEqual(["succeeded", "succeeded"]);
    const outcomes = done.map((e) => (e.result as { outcome: string }).outcome).sort();
    // One stored it; the other found the claim held by a live execution and left it alone.
    expect(outcomes).toEqual(["busy", "stored"]);
    expect(simulatorRequests(t, "GET", mediaPath(recording.sid))).toHaveLength(1);
    expect((await recordingRow(recording.id)).status).toBe("stored");
  });

  it("a failed download is retried; until then the row is failed and nothing is stored", async () => {
    await startTestWorker([processCallRecording], { services: noTranscription() });
    const recording = await newRecording(db(), t);
    t.simulator.injectFault({
      kind: "500",
      match: { method: "GET", path: `${recording.sid}\\.wav$` },
    });
    const id = await enqueue(db(), processCallRecording, { recording_id: recording.id });

    await waitForStatus(id, "retrying");
    const failed = await recordingRow(recording.id);
    expect(failed).toMatchObject({ status: "failed", storage_key: null, size_bytes: null });
    expect(failed.error_message).toContain("HTTP 500");
    expect((await filesUnder(t.recordingsDir)).filter((f) => f.includes(recording.sid))).toEqual(
      [],
    );

    const done = await waitForStatus(id, ["succeeded", "dead"]);
    expect(done).toMatchObject({ status: "succeeded", attempts: 2 });
    const stored = await recordingRow(recording.id);
    expect(stored).toMatchObject({ status: "stored", error_message: null });
    expect(stored.sha256).toBe(sha256((await simulatorMedia(t, recording.sid)) as Buffer));
    expect((await filesUnder(t.recordingsDir)).filter((f) => f.includes(recording.sid))).toEqual([
      stored.storage_key,
    ]);
  });

  it("a recording gone from Twilio fails for good, without retries", async () => {
    await startTestWorker([processCallRecording], { services: noTranscription() });
    const recording = await newRecording(db(), t);
    await t.services.twilio.client.recordings(recording.sid).remove();
    const done = await run({ recording_id: recording.id });
    expect(done).toMatchObject({ status: "dead", attempts: 1 });
    const row = await recordingRow(recording.id);
    expect(row.status).toBe("failed");
    expect(row.error_message).toMatch(/does not exist on Twilio/);
  });

  it("seed 000's call_id form processes every recording of the call", async () => {
    await startTestWorker([processCallRecording], { services: noTranscription() });
    const first = await newRecording(db(), t);
    // A second recording of the same call (made by another simulated call).
    const other = await recordedCall(t);
    const second = await insertRecording(db(), t, { ...other, callSid: first.call_sid });
    expect(second.call_id).toBe(first.call_id);

    const done = await run({ call_id: first.call_id as number });
    expect(done.status).toBe("succeeded");
    const result = done.result as { recordings: { recording_id: number; outcome: string }[] };
    expect(result.recordings.map((r) => [r.recording_id, r.outcome])).toEqual([
      [first.id, "stored"],
      [second.id, "stored"],
    ]);
    expect((await recordingRow(second.id)).sha256).toBe(
      sha256((await simulatorMedia(t, other.recordingSid)) as Buffer),
    );
  });

  it("enqueues transcribe_recording with the stored row when transcription is on, not when off", async () => {
    // Only processing runs here, so the transcription job stays queued for inspection.
    await startTestWorker([processCallRecording], {
      services: withRecordings(t.services, { enableTranscription: true }),
    });
    const on = await newRecording(db(), t);
    const parent = await run({ recording_id: on.id });
    const child = await db()
      .selectFrom("executions")
      .selectAll()
      .where("task_name", "=", "transcribe_recording")
      .where("parent_id", "=", parent.public_id)
      .execute();
    expect(child).toHaveLength(1);
    expect(child[0]).toMatchObject({
      status: "queued",
      payload: { recording_id: on.id, language: "en-US" },
      job_key: `transcript:${on.id}:en-US`,
    });
  });

  it("does not enqueue transcription when it is disabled", async () => {
    await startTestWorker([processCallRecording], { services: noTranscription() });
    const off = await newRecording(db(), t);
    const parent = await run({ recording_id: off.id });
    expect(parent.status).toBe("succeeded");
    const children = await db()
      .selectFrom("executions")
      .select("id")
      .where("parent_id", "=", parent.public_id)
      .execute();
    expect(children).toEqual([]);
  });

  it("sends Twilio credentials only to the media_url the SDK returned, and on Twilio only to twilio.com", async () => {
    const recording = await newRecording(db(), t);
    const remote = await fetchTwilioRecording(t.services.twilio, recording.sid);
    expect(remote.mediaUrl).toBe(
      `${t.simulator.url}/2010-04-01/Accounts/${t.simulator.accountSid}/Recordings/${recording.sid}`,
    );
    // The same answer, taken for real Twilio: a loopback host is refused, nothing is fetched.
    const real = { ...t.services.twilio, simulated: false };
    await expect(fetchTwilioRecording(real, recording.sid)).rejects.toThrow(/not on twilio\.com/);
  });

  it("refuses a payload without exactly one of recording_id and call_id", async () => {
    await expect(enqueue(db(), processCallRecording, {})).rejects.toBeInstanceOf(EnqueueError);
    await expect(
      enqueue(db(), processCallRecording, { recording_id: 1, call_id: 2 }),
    ).rejects.toThrow(/recording_id/);
    await expect(enqueue(db(), transcribeRecording, { recording_id: "x" })).rejects.toThrow(
      /recording_id/,
    );
  });
});
