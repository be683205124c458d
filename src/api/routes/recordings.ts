/**
 * Recordings over HTTP: `GET /api/recordings/{id}/media` streams a stored recording's audio,
 * decrypted, with its exact plaintext Content-Length and SHA-256 (`Repr-Digest`). Nothing is
 * buffered: bytes go out as the store decrypts them, and if the stored file fails
 * authentication at its end (tampering, wrong key) the response is aborted short of its
 * Content-Length, so it can never pass for a complete download (see recordings/recordingMedia.ts).
 *
 * Every download is audited (`recording.download`) before the first byte leaves, outcome
 * `started`; a download cut off by a failed authentication adds a second row, outcome
 * `integrity_failed`.
 */
import { Readable } from "node:stream";
import type { HttpBindings } from "@hono/node-server";
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { CallCenterServices } from "../../callCenter/services.ts";
import { recordAudit } from "../../control/audit.ts";
import type { Db } from "../../database/pool.ts";
import { openRecordingMedia } from "../../recordings/recordingMedia.ts";
import type { AppEnv } from "../context.ts";
import { ApiError } from "../errors.ts";
import { requireScope } from "../middleware/authenticate.ts";
import { ErrorSchema, errorResponses, notFoundResponse } from "../openapi.ts";
import { auditEntry } from "../operator.ts";

export interface RecordingRoutesDependencies {
  db: Db;
  services: Pick<CallCenterServices, "recordings">;
}

const RecordingIdParam = z.object({
  id: z.coerce
    .number({ message: "expected a recording id (a positive integer)" })
    .int({ message: "expected a recording id (a positive integer)" })
    .min(1, { message: "expected a recording id (a positive integer)" })
    .max(Number.MAX_SAFE_INTEGER, { message: "expected a recording id (a positive integer)" })
    .openapi({ param: { name: "id", in: "path" }, example: 42 }),
});

const mediaRoute = createRoute({
  method: "get",
  path: "/api/recordings/{id}/media",
  summary: "Download a stored recording's audio (WAV), decrypted",
  description:
    "`id` is the recording's numeric id (`recordings.id`). The body is streamed; if the stored " +
    "file fails its integrity check the connection is aborted before Content-Length bytes.",
  tags: ["recordings"],
  middleware: [requireScope("read")] as const,
  request: { params: RecordingIdParam },
  responses: {
    200: {
      description: "The audio, exactly as downloaded from Twilio",
      content: { "audio/wav": { schema: z.string().openapi({ format: "binary" }) } },
    },
    ...errorResponses,
    ...notFoundResponse,
    410: {
      description: "Archived: the audio was removed after the retention period",
      content: { "application/json": { schema: ErrorSchema } },
    },
  },
});

export function recordingRoutes({ db, services }: RecordingRoutesDependencies) {
  const app = new OpenAPIHono<AppEnv>();

  app.openapi(mediaRoute, async (c) => {
    const { id } = c.req.valid("param");
    const audit = (outcome: string, details: Record<string, unknown>) =>
      recordAudit(db, auditEntry(c, "recording.download", [String(id)], outcome, details));
    // Set synchronously once the media is open, before any failure can be reported.
    let auditedStart: Promise<unknown> = Promise.resolve();
    const opened = await openRecordingMedia(db, services.recordings.store, id, {
      onIntegrityFailure: (error) => {
        c.get("logger")?.error(
          { err: error, recordingId: id },
          "stored recording failed authentication",
        );
        // The body stream errors too, but a server that has not started sending yet may then
        // end the response short instead of aborting it: close the connection ourselves.
        (c.env as Partial<HttpBindings> | undefined)?.outgoing?.destroy(error);
        auditedStart
          .catch(() => {})
          .then(() => audit("integrity_failed", { error: error.message }))
          .catch((auditError: unknown) =>
            c.get("logger")?.error({ err: auditError }, "could not audit a failed download"),
          );
      },
    });
    switch (opened.kind) {
      case "not_found":
        throw new ApiError(404, "not_found", `No recording ${id}`);
      case "not_stored":
        throw new ApiError(
          404,
          "not_found",
          `Recording ${id} is not stored yet (${opened.status})`,
        );
      case "archived":
        throw new ApiError(410, "gone", `Recording ${id} is archived: its audio was removed`);
      case "missing":
        c.get("logger")?.error({ recordingId: id }, "stored recording has no file in the store");
        throw new ApiError(404, "not_found", `Recording ${id} has no stored audio`);
    }
    const { recording, body } = opened;
    auditedStart = audit("started", { sid: recording.sid, bytes: recording.size_bytes });
    try {
      await auditedStart;
    } catch (error) {
      body.destroy();
      throw error;
    }
    const headers: Record<string, string> = {
      "content-type": "audio/wav",
      "content-length": String(recording.size_bytes),
      "content-disposition": `attachment; filename="${recording.sid}.wav"`,
      "cache-control": "private, no-store",
    };
    if (recording.sha256) {
      headers["repr-digest"] =
        `sha-256=:${Buffer.from(recording.sha256, "hex").toString("base64")}:`;
    }
    return c.body(Readable.toWeb(body) as ReadableStream<Uint8Array>, 200, headers);
  });

  return app;
}
