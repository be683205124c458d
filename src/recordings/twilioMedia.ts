/**
 * Reading a recording from Twilio: its resource through the SDK, its audio as a stream.
 *
 * Why not `client.request()` for the audio: the SDK's request client (axios, default response
 * type) decodes every body as UTF-8 text and holds it whole, which corrupts WAV bytes and
 * defeats streaming. So the audio is fetched with Node's `fetch` and streamed on.
 *
 * Where the audio is fetched from: the `media_url` of the recording resource the SDK just
 * returned, never a URL from the database or a webhook. That keeps the credentials going only
 * where the SDK already sends them: `https://api.twilio.com/…` on Twilio, and the simulator's
 * own origin (the one the SDK's request client rewrites to) when `twilio.simulated`. The URL is
 * checked to be this account's recording, and on Twilio to be an https `twilio.com` host.
 */
import { Readable, Transform, type TransformCallback } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import type { RecordingInstance } from "twilio/lib/rest/api/v2010/account/recording.js";
import type { TwilioService } from "../callCenter/services.ts";
import { PermanentError, RateLimitedError } from "../engine/errors.ts";
import { isTwilioNotFound, RETRY_AFTER_FALLBACK_MS, retryAfterHeaderMs } from "../twilio/errors.ts";

export interface TwilioRecording {
  sid: string;
  durationSeconds: number | null;
  /** When the call was recorded (dates the storage key). */
  recordedAt: Date | null;
  /** Where the audio lives, already checked; without an extension. */
  mediaUrl: string;
}

/** The recording does not exist on Twilio (deleted there, or never made). */
export class TwilioRecordingMissingError extends PermanentError {
  override name = "TwilioRecordingMissingError";
}

/** Fetches the recording resource. A 404 is a `TwilioRecordingMissingError`. */
export async function fetchTwilioRecording(
  twilio: TwilioService,
  recordingSid: string,
): Promise<TwilioRecording> {
  let resource: RecordingInstance;
  try {
    resource = await twilio.client.recordings(recordingSid).fetch();
  } catch (error) {
    if (isTwilioNotFound(error)) {
      throw new TwilioRecordingMissingError(`recording ${recordingSid} does not exist on Twilio`);
    }
    throw error;
  }
  const duration = Number.parseInt(String(resource.duration ?? ""), 10);
  const recordedAt = resource.startTime ?? resource.dateCreated ?? null;
  return {
    sid: resource.sid,
    durationSeconds: Number.isFinite(duration) && duration >= 0 ? duration : null,
    recordedAt:
      recordedAt instanceof Date && !Number.isNaN(recordedAt.getTime()) ? recordedAt : null,
    mediaUrl: checkedMediaUrl(twilio, recordingSid, resource.mediaUrl),
  };
}

function checkedMediaUrl(twilio: TwilioService, sid: string, mediaUrl: string | undefined) {
  const url = URL.canParse(mediaUrl ?? "") ? new URL(mediaUrl as string) : undefined;
  const expectedPath = `/2010-04-01/Accounts/${twilio.accountSid}/Recordings/${sid}`;
  const onTwilio =
    url?.protocol === "https:" &&
    (url.hostname === "twilio.com" || url.hostname.endsWith(".twilio.com"));
  if (!url || url.pathname.replace(/\.(wav|mp3|json)$/, "") !== expectedPath) {
    throw new PermanentError(`recording ${sid}: unexpected media_url ${JSON.stringify(mediaUrl)}`);
  }
  if (!twilio.simulated && !onTwilio) {
    throw new PermanentError(`recording ${sid}: media_url is not on twilio.com: ${url.origin}`);
  }
  return `${url.origin}${expectedPath}`;
}

export interface RecordingMedia {
  /** The WAV bytes as they arrive; errors if the download breaks or comes up short. */
  stream: Readable;
  /** From Content-Length, when Twilio sent one. */
  expectedBytes: number | null;
}

/**
 * Starts downloading the WAV audio with HTTP basic auth (AccountSid:AuthToken). Answers other
 * than 200 throw: 404 a `TwilioRecordingMissingError`, 429 a `RateLimitedError` honouring
 * Retry-After, anything else a retryable error naming the status.
 */
export async function downloadRecordingMedia(
  twilio: TwilioService,
  recording: Pick<TwilioRecording, "sid" | "mediaUrl">,
  signal?: AbortSignal,
): Promise<RecordingMedia> {
  const credentials = Buffer.from(`${twilio.accountSid}:${twilio.authToken}`).toString("base64");
  const response = await fetch(`${recording.mediaUrl}.wav`, {
    headers: { authorization: `Basic ${credentials}`, accept: "audio/wav, audio/x-wav" },
    ...(signal ? { signal } : {}),
  });
  if (response.status !== 200 || !response.body) {
    await response.body?.cancel().catch(() => {});
    const what = `downloading recording ${recording.sid}: HTTP ${response.status}`;
    if (response.status === 404) throw new TwilioRecordingMissingError(what);
    if (response.status === 429) {
      const retryAfterMs = retryAfterHeaderMs(response.headers.get("retry-after"));
      throw new RateLimitedError(retryAfterMs ?? RETRY_AFTER_FALLBACK_MS, what);
    }
    throw Object.assign(new Error(what), { status: response.status });
  }
  const length = Number.parseInt(response.headers.get("content-length") ?? "", 10);
  const expectedBytes = Number.isFinite(length) && length >= 0 ? length : null;
  const body = Readable.fromWeb(response.body as WebReadableStream);
  if (expectedBytes === null) return { stream: body, expectedBytes };
  const checked = exactLength(expectedBytes, recording.sid);
  // A failure on either side tears down both (and the socket); `checked` carries the error.
  pipeline(body, checked).catch(() => {});
  return { stream: checked, expectedBytes };
}

/** Passes bytes through and errors at the end unless exactly `bytes` went by. */
function exactLength(bytes: number, sid: string): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      seen += chunk.length;
      callback(null, chunk);
    },
    flush(callback: TransformCallback) {
      callback(
        seen === bytes
          ? null
          : new Error(`recording ${sid}: download ended after ${seen} of ${bytes} bytes`),
      );
    },
  });
}
