/**
 * `/2010-04-01/Accounts/{AccountSid}/Recordings`: fetch, list (by CallSid), delete, and media
 * (`.wav`, `.mp3`; no extension means WAV, as on Twilio).
 */
import { Hono } from "hono";
import { recordingMp3, recordingWav } from "../audio.ts";
import type { SimulatorDependencies } from "../dependencies.ts";
import { notFound } from "../errors.ts";
import { accountPath, pageRequest, recordingJson, v2010Page } from "../resources.ts";
import type { SimulatedRecording } from "../state.ts";

const FILE = /^(RE[0-9a-f]{32})(\.json|\.wav|\.mp3)?$/;

export function recordingRoutes({ accountSid, state, baseUrl }: SimulatorDependencies) {
  const app = new Hono();
  const find = (file: string, path: string) => {
    const [, sid, extension = ""] = FILE.exec(file) ?? [];
    const recording = sid ? state.recordings.get(sid) : undefined;
    if (!recording) throw notFound(path);
    return { recording, extension };
  };
  const page = (
    recordings: SimulatedRecording[],
    path: string,
    filters: Record<string, string>,
    query: Record<string, string>,
  ) => {
    const json = recordings.map((recording) => recordingJson(recording, baseUrl())).reverse();
    return v2010Page("recordings", json, path, filters, pageRequest(query));
  };

  app.get("/Recordings.json", (c) => {
    const callSid = c.req.query("CallSid");
    const recordings = [...state.recordings.values()].filter(
      (recording) => !callSid || recording.callSid === callSid,
    );
    const path = `${accountPath(accountSid)}/Recordings.json`;
    return c.json(page(recordings, path, callSid ? { CallSid: callSid } : {}, c.req.query()));
  });

  app.get("/Calls/:callSid/Recordings.json", (c) => {
    const callSid = c.req.param("callSid");
    if (!state.calls.has(callSid)) throw notFound(c.req.path);
    const recordings = [...state.recordings.values()].filter((r) => r.callSid === callSid);
    const path = `${accountPath(accountSid)}/Calls/${callSid}/Recordings.json`;
    return c.json(page(recordings, path, {}, c.req.query()));
  });

  app.get("/Recordings/:file", (c) => {
    const { recording, extension } = find(c.req.param("file"), c.req.path);
    if (extension === ".json") return c.json(recordingJson(recording, baseUrl()));
    const audio =
      extension === ".mp3"
        ? { bytes: recordingMp3(), type: "audio/mpeg" }
        : { bytes: recordingWav(recording.sid, recording.channels), type: "audio/x-wav" };
    return c.body(new Uint8Array(audio.bytes), 200, { "content-type": audio.type });
  });

  app.delete("/Recordings/:file", (c) => {
    const { recording, extension } = find(c.req.param("file"), c.req.path);
    if (extension !== ".json" && extension !== "") throw notFound(c.req.path);
    state.recordings.delete(recording.sid);
    return c.body(null, 204);
  });

  return app;
}
