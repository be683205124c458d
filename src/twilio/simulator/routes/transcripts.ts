/**
 * Voice Intelligence `/v2/Transcripts`, as `client.intelligence.v2.transcripts` calls it:
 * create from a recording (`Channel` is JSON: `{ media_properties: { source_sid: "RE…" } }`),
 * fetch (queued → in-progress → completed), list, delete, and `Sentences`. An unknown
 * source recording makes the transcript end `failed`, as a bad source does on Twilio.
 */
import { Hono } from "hono";
import type { SimulatorDependencies } from "../dependencies.ts";
import { notFound, TwilioApiError } from "../errors.ts";
import { readForm } from "../form.ts";
import { pageRequest, transcriptJson, v2Page } from "../resources.ts";
import { sentencesFor } from "../sentences.ts";
import { newSid, type SimulatedTranscript } from "../state.ts";

function parseChannel(value: string | undefined): { channel: unknown; sourceSid?: string } {
  let channel: { media_properties?: { source_sid?: unknown; media_url?: unknown } };
  try {
    channel = JSON.parse(value ?? "");
  } catch {
    throw new TwilioApiError(400, 20001, "Channel must be a JSON object");
  }
  const source = channel?.media_properties?.source_sid;
  const mediaUrl = channel?.media_properties?.media_url;
  if (typeof source !== "string" && typeof mediaUrl !== "string") {
    throw new TwilioApiError(
      400,
      20001,
      "Channel.media_properties needs a source_sid (a recording) or a media_url",
    );
  }
  return { channel, ...(typeof source === "string" ? { sourceSid: source } : {}) };
}

export function transcriptRoutes(deps: SimulatorDependencies) {
  const { accountSid, state, timers, timing, baseUrl } = deps;
  const app = new Hono();
  const find = (sid: string, path: string) => {
    const transcript = state.transcripts.get(sid);
    if (!transcript) throw notFound(path);
    return transcript;
  };
  const advance = (transcript: SimulatedTranscript, status: SimulatedTranscript["status"]) => {
    transcript.status = status;
    transcript.updatedAt = Date.now();
  };

  app.post("/Transcripts", async (c) => {
    const form = await readForm(c);
    const serviceSid = form.get("ServiceSid");
    if (!serviceSid?.startsWith("GA")) {
      throw new TwilioApiError(400, 20001, "ServiceSid must be an Intelligence Service sid (GA…)");
    }
    const { channel, sourceSid } = parseChannel(form.get("Channel"));
    const now = Date.now();
    const recording = sourceSid ? state.recordings.get(sourceSid) : undefined;
    const transcript: SimulatedTranscript = {
      sid: newSid("GT"),
      accountSid,
      serviceSid,
      channel,
      sourceSid,
      customerKey: form.get("CustomerKey"),
      status: "queued",
      createdAt: now,
      updatedAt: now,
      durationSeconds: recording?.durationSeconds ?? 0,
    };
    state.transcripts.set(transcript.sid, transcript);
    timers.after(timing.transcriptMs / 2, () => advance(transcript, "in-progress"));
    timers.after(timing.transcriptMs, () =>
      advance(transcript, recording ? "completed" : "failed"),
    );
    return c.json(transcriptJson(transcript, baseUrl()), 201);
  });

  app.get("/Transcripts", (c) => {
    const transcripts = [...state.transcripts.values()]
      .map((transcript) => transcriptJson(transcript, baseUrl()))
      .reverse();
    const page = pageRequest(c.req.query());
    return c.json(v2Page("transcripts", transcripts, `${baseUrl()}/v2/Transcripts`, page));
  });

  app.get("/Transcripts/:sid", (c) =>
    c.json(transcriptJson(find(c.req.param("sid"), c.req.path), baseUrl())),
  );

  app.delete("/Transcripts/:sid", (c) => {
    state.transcripts.delete(find(c.req.param("sid"), c.req.path).sid);
    return c.body(null, 204);
  });

  app.get("/Transcripts/:sid/Sentences", (c) => {
    const transcript = find(c.req.param("sid"), c.req.path);
    const words = c.req.query("WordTimestamps") === "true";
    const sentences =
      transcript.status === "completed" && transcript.sourceSid
        ? sentencesFor(transcript.sourceSid).map((sentence, index) => ({
            media_channel: sentence.channel,
            sentence_index: index,
            start_time: (index * 2.5).toFixed(2),
            end_time: (index * 2.5 + 2.2).toFixed(2),
            transcript: sentence.text,
            sid: `GX${transcript.sid.slice(2, 32)}${index.toString(16).padStart(2, "0")}`,
            confidence: "0.95",
            ...(words ? { words: sentence.text.split(" ").map((word) => ({ word })) } : {}),
          }))
        : [];
    const url = `${baseUrl()}/v2/Transcripts/${transcript.sid}/Sentences`;
    return c.json(v2Page("sentences", sentences, url, pageRequest(c.req.query())));
  });

  return app;
}
