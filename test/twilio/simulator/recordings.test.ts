import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { recordingWav } from "../../../src/twilio/simulator/audio.ts";
import {
  AGENT,
  CUSTOMER,
  type SimulatorHarness,
  useSimulator,
} from "../../support/simulatorHarness.ts";

const h = useSimulator();
const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

async function recordedCall({ client, receiver }: SimulatorHarness, channels?: "mono" | "dual") {
  const call = await client.calls.create({
    to: CUSTOMER,
    from: AGENT,
    twiml: "<Response><Say>Hello</Say></Response>",
    record: true,
    recordingChannels: channels,
    recordingStatusCallback: `${receiver.url}/recording`,
  });
  const [callback] = await receiver.waitFor(1, (c) => c.url.endsWith("/recording"));
  return { call, callback: callback as NonNullable<typeof callback> };
}

function authHeader({ simulator }: SimulatorHarness) {
  const credentials = `${simulator.accountSid}:${simulator.authToken}`;
  return { authorization: `Basic ${Buffer.from(credentials).toString("base64")}` };
}

describe("recordings", () => {
  it("records a completed call: signed callback, resource and real WAV bytes", async () => {
    const { call, callback } = await recordedCall(h);
    expect(h.receiver.isSigned(callback, h.simulator.authToken)).toBe(true);
    const { RecordingSid: sid, RecordingUrl: url } = callback.params;
    expect(callback.params).toMatchObject({
      CallSid: call.sid,
      AccountSid: h.simulator.accountSid,
      RecordingStatus: "completed",
      RecordingDuration: "1",
      RecordingChannels: "1",
    });
    expect(sid).toMatch(/^RE[0-9a-f]{32}$/);
    expect(url).toBe(
      `${h.simulator.url}/2010-04-01/Accounts/${h.simulator.accountSid}/Recordings/${sid}`,
    );

    const recording = await h.client.recordings(sid as string).fetch();
    expect(recording).toMatchObject({
      sid,
      callSid: call.sid,
      status: "completed",
      duration: "1",
      channels: 1,
      source: "OutboundAPI",
    });

    const response = await fetch(`${url}.wav`, { headers: authHeader(h) });
    expect(response.headers.get("content-type")).toBe("audio/x-wav");
    const wav = new Uint8Array(await response.arrayBuffer());
    const view = Buffer.from(wav);
    expect(view.toString("ascii", 0, 4)).toBe("RIFF");
    expect(view.toString("ascii", 8, 12)).toBe("WAVE");
    expect(view.readUInt16LE(20)).toBe(1); // PCM
    expect(view.readUInt32LE(24)).toBe(8000);
    expect(view.readUInt32LE(4)).toBe(wav.length - 8);
    const again = new Uint8Array(await (await fetch(url as string)).arrayBuffer());
    expect(sha256(again)).toBe(sha256(wav));
    expect(sha256(wav)).toBe(sha256(recordingWav(sid as string)));
  });

  it("serves two channels for dual recordings, and a valid MP3", async () => {
    const { callback } = await recordedCall(h, "dual");
    expect(callback.params.RecordingChannels).toBe("2");
    const url = callback.params.RecordingUrl as string;
    const wav = Buffer.from(await (await fetch(`${url}.wav`)).arrayBuffer());
    expect(wav.readUInt16LE(22)).toBe(2);
    const mp3Response = await fetch(`${url}.mp3`);
    expect(mp3Response.headers.get("content-type")).toBe("audio/mpeg");
    const mp3 = Buffer.from(await mp3Response.arrayBuffer());
    expect(mp3[0]).toBe(0xff);
    expect((mp3[1] as number) & 0xe0).toBe(0xe0); // MPEG frame sync
  });

  it("lists recordings by CallSid, and by call", async () => {
    const first = await recordedCall(h);
    h.receiver.received.length = 0;
    await recordedCall(h);
    expect(await h.client.recordings.list()).toHaveLength(2);
    const forCall = await h.client.recordings.list({ callSid: first.call.sid });
    expect(forCall.map((recording) => recording.sid)).toEqual([first.callback.params.RecordingSid]);
    const viaCall = await h.client.calls(first.call.sid).recordings.list();
    expect(viaCall.map((recording) => recording.sid)).toEqual([first.callback.params.RecordingSid]);
  });

  it("makes no recording for a call that was not answered", async () => {
    await h.client.calls.create({
      to: "+15550000001",
      from: AGENT,
      twiml: "<Response/>",
      record: true,
      recordingStatusCallback: `${h.receiver.url}/recording`,
    });
    await h.simulator.whenIdle();
    expect(await h.client.recordings.list()).toHaveLength(0);
    expect(h.receiver.received).toHaveLength(0);
  });

  it("deletes a recording: 204, then its resource and media are gone", async () => {
    const { callback } = await recordedCall(h);
    const sid = callback.params.RecordingSid as string;
    expect(await h.client.recordings(sid).remove()).toBe(true);
    await expect(h.client.recordings(sid).fetch()).rejects.toMatchObject({
      status: 404,
      code: 20404,
    });
    expect((await fetch(`${callback.params.RecordingUrl}.wav`)).status).toBe(404);
  });
});
