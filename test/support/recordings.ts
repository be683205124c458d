/** Real recordings for the recording tests: made by the simulator, fetched over HTTP. */
import { createHash, randomUUID } from "node:crypto";
import { readdir } from "node:fs/promises";
import path from "node:path";
import type { CallCenterServices } from "../../src/callCenter/services.ts";
import type { Db } from "../../src/database/pool.ts";
import type { Recording } from "../../src/database/schema.ts";
import type { ProcessRecordingContext } from "../../src/recordings/processRecording.ts";
import { silentLogger, waitFor } from "./engine.ts";
import type { TestServices } from "./services.ts";

export const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

let numbers = 0;

/** Places a recorded call through the SDK and waits for the simulator to make its recording. */
export async function recordedCall({ services }: TestServices) {
  const client = services.twilio.client;
  const to = `+1555${String(process.pid % 1000).padStart(3, "0")}${String(++numbers).padStart(4, "1")}`;
  const call = await client.calls.create({
    to,
    from: services.twilio.phoneNumber,
    twiml: "<Response><Say>Thank you for calling</Say></Response>",
    record: true,
  });
  const recording = await waitFor(
    async () => (await client.recordings.list({ callSid: call.sid }))[0],
    5_000,
  );
  return { callSid: call.sid, recordingSid: recording.sid, to };
}

/** Inserts the call and recording rows as webhook processing would; returns the recording. */
export async function insertRecording(
  db: Db,
  t: TestServices,
  made: { callSid: string; recordingSid: string; to: string },
  values: Partial<Recording> = {},
): Promise<Recording> {
  const call = await db
    .insertInto("calls")
    .values({
      sid: made.callSid,
      direction: "outbound-api",
      from_number: t.services.twilio.phoneNumber,
      to_number: made.to,
      status: "completed",
    })
    .onConflict((oc) => oc.column("sid").doUpdateSet({ status: "completed" }))
    .returning("id")
    .executeTakeFirstOrThrow();
  return db
    .insertInto("recordings")
    .values({
      sid: made.recordingSid,
      call_id: call.id,
      call_sid: made.callSid,
      media_url: `${t.simulator.url}/2010-04-01/Accounts/${t.simulator.accountSid}/Recordings/${made.recordingSid}`,
      duration_seconds: 1,
      ...values,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** A real simulator recording with its row. */
export async function newRecording(db: Db, t: TestServices, values: Partial<Recording> = {}) {
  return insertRecording(db, t, await recordedCall(t), values);
}

/** The audio straight from the simulator (basic auth), or its HTTP status if not 200. */
export async function simulatorMedia(t: TestServices, sid: string): Promise<Buffer | number> {
  const credentials = Buffer.from(`${t.simulator.accountSid}:${t.simulator.authToken}`);
  const response = await fetch(
    `${t.simulator.url}/2010-04-01/Accounts/${t.simulator.accountSid}/Recordings/${sid}.wav`,
    { headers: { authorization: `Basic ${credentials.toString("base64")}` } },
  );
  if (response.status !== 200) return response.status;
  return Buffer.from(await response.arrayBuffer());
}

/** API requests the simulator answered for a path matching `pattern`. */
export function simulatorRequests(t: TestServices, method: string, pattern: RegExp) {
  return t.simulator
    .eventLog()
    .requests.filter((request) => request.method === method && pattern.test(request.path));
}

/** A job context for calling src/recordings functions directly, without a worker. */
export function jobContext(db: Db, services: CallCenterServices): ProcessRecordingContext {
  return {
    db,
    services,
    logger: silentLogger,
    signal: new AbortController().signal,
    executionId: randomUUID(),
  };
}

/** `services` with some recording settings changed. */
export function withRecordings(
  services: CallCenterServices,
  recordings: Partial<CallCenterServices["recordings"]>,
): CallCenterServices {
  return { ...services, recordings: { ...services.recordings, ...recordings } };
}

/** Every file under `dir`, relative, hidden ones included. */
export async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)))
    .sort();
}
