import { randomBytes } from "node:crypto";
import { open } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { Readable } from "node:stream";
import { type ServerType, serve } from "@hono/node-server";
import { OpenAPIHono } from "@hono/zod-openapi";
import { requestId } from "hono/request-id";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppEnv } from "../../../src/api/context.ts";
import type { ErrorBody } from "../../../src/api/errors.ts";
import { toErrorResponse, validationError } from "../../../src/api/errors.ts";
import { authenticate } from "../../../src/api/middleware/authenticate.ts";
import { recordingRoutes } from "../../../src/api/routes/recordings.ts";
import type { Recording } from "../../../src/database/schema.ts";
import { processRecording } from "../../../src/recordings/processRecording.ts";
import { recordingKeyFor } from "../../../src/storage/recordingKey.ts";
import { authHeaders } from "../../support/app.ts";
import { db, waitFor } from "../../support/engine.ts";
import {
  jobContext,
  newRecording,
  sha256,
  simulatorMedia,
  withRecordings,
} from "../../support/recordings.ts";
import { startTestServices, type TestServices } from "../../support/services.ts";

let t: TestServices;
let read: Record<string, string>;
let server: ServerType | undefined;

beforeAll(async () => {
  t = await startTestServices();
  read = await authHeaders("read");
});
afterAll(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
});

/** The API as app.ts mounts it: request id, authentication, the routes, the error format. */
function recordingsApp() {
  const app = new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) throw validationError(result.error, result.target);
    },
  });
  app.use(requestId());
  app.use(authenticate({ db: db(), cacheTtlMs: 0 }));
  app.route("/", recordingRoutes({ db: db(), services: t.services }));
  app.onError(toErrorResponse);
  return app;
}

const get = (id: number | string, headers: Record<string, string> = read) =>
  recordingsApp().request(`/api/recordings/${id}/media`, { headers });

/** A real recording, processed into the store. */
async function storedRecording(): Promise<{ recording: Recording; audio: Buffer }> {
  const created = await newRecording(db(), t);
  const audio = (await simulatorMedia(t, created.sid)) as Buffer;
  const services = withRecordings(t.services, { enableTranscription: false });
  await processRecording(jobContext(db(), services), created.id);
  const recording = await db()
    .selectFrom("recordings")
    .selectAll()
    .where("id", "=", created.id)
    .executeTakeFirstOrThrow();
  return { recording, audio };
}

/** A large stored recording (2 MiB of noise), for a response that streams many chunks. */
async function largeStoredRecording(): Promise<{ recording: Recording; audio: Buffer }> {
  const audio = randomBytes(2 * 1024 * 1024);
  const sid = `RE${randomBytes(16).toString("hex")}`;
  const put = await t.services.recordings.store.put(
    recordingKeyFor(sid, new Date()),
    Readable.from([audio.subarray(0, 1 << 20), audio.subarray(1 << 20)]),
  );
  const recording = await db()
    .insertInto("recordings")
    .values({
      sid,
      call_sid: `CA${randomBytes(16).toString("hex")}`,
      status: "stored",
      storage_key: put.key,
      size_bytes: put.bytes,
      sha256: put.sha256,
      encrypted: true,
      stored_at: new Date(),
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return { recording, audio };
}

const errorOf = async (response: Response) => ((await response.json()) as ErrorBody).error;

const downloads = (id: number) =>
  db()
    .selectFrom("audit_log")
    .selectAll()
    .where("action", "=", "recording.download")
    .where(sql<boolean>`target_ids @> array[${String(id)}]::text[]`)
    .orderBy("id")
    .execute();

/** Flips one bit of the stored file at `offset` (negative: from the end). */
async function tamper(recording: Recording, offset: number) {
  const file = await open(path.join(t.recordingsDir, recording.storage_key as string), "r+");
  try {
    const { size } = await file.stat();
    const at = offset < 0 ? size + offset : offset;
    const byte = Buffer.alloc(1);
    await file.read(byte, 0, 1, at);
    byte[0] = (byte[0] as number) ^ 0x01;
    await file.write(byte, 0, 1, at);
  } finally {
    await file.close();
  }
}

async function listen(): Promise<string> {
  if (!server) {
    const app = recordingsApp();
    server = await new Promise<ServerType>((resolve) => {
      const started = serve({ fetch: app.fetch, hostname: "127.0.0.1", port: 0 }, () =>
        resolve(started),
      );
    });
  }
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe("GET /api/recordings/{id}/media", () => {
  it("streams the decrypted audio: exact bytes, length, type, digest; audits the download", async () => {
    const { recording, audio } = await storedRecording();
    const response = await get(recording.id);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("audio/wav");
    expect(response.headers.get("content-length")).toBe(String(audio.length));
    expect(response.headers.get("content-disposition")).toContain(`${recording.sid}.wav`);
    expect(response.headers.get("repr-digest")).toBe(
      `sha-256=:${Buffer.from(sha256(audio), "hex").toString("base64")}:`,
    );
    const body = Buffer.from(await response.arrayBuffer());
    expect(body.equals(audio)).toBe(true);

    const [entry] = await downloads(recording.id);
    expect(entry).toMatchObject({
      action: "recording.download",
      outcome: "started",
      target_ids: [String(recording.id)],
      details: { sid: recording.sid, bytes: audio.length },
    });
    expect(entry?.actor).toMatch(/^test-/);
    expect(entry?.request_id).toBeTruthy();
  });

  it("serves the same bytes over real HTTP, large ones included", async () => {
    const large = await largeStoredRecording();
    const big = await fetch(`${await listen()}/api/recordings/${large.recording.id}/media`, {
      headers: read,
    });
    expect(Buffer.from(await big.arrayBuffer()).equals(large.audio)).toBe(true);
    const { recording, audio } = await storedRecording();
    const response = await fetch(`${await listen()}/api/recordings/${recording.id}/media`, {
      headers: read,
    });
    expect(response.status).toBe(200);
    expect(sha256(Buffer.from(await response.arrayBuffer()))).toBe(sha256(audio));
  });

  it("404 for an unknown or not yet stored recording, 410 once archived, 400 for a bad id", async () => {
    const unknown = await get(987_654);
    expect(unknown.status).toBe(404);
    expect((await errorOf(unknown)).code).toBe("not_found");

    const pending = await newRecording(db(), t);
    const notStored = await get(pending.id);
    expect(notStored.status).toBe(404);
    expect((await errorOf(notStored)).message).toMatch(/not stored yet \(pending\)/);

    const archived = await newRecording(db(), t, { status: "archived", archived_at: new Date() });
    const gone = await get(archived.id);
    expect(gone.status).toBe(410);

    for (const bad of ["abc", "0", "1.5", "-3"]) {
      const response = await get(bad);
      expect(response.status).toBe(400);
      expect((await errorOf(response)).details[0]?.path).toBe("id");
    }
    expect(await downloads(pending.id)).toEqual([]);
  });

  it("401 without a token or with a bad one, and nothing is audited", async () => {
    const { recording } = await storedRecording();
    expect((await get(recording.id, {})).status).toBe(401);
    expect((await get(recording.id, { authorization: "Bearer sb_nope" })).status).toBe(401);
    expect(await downloads(recording.id)).toEqual([]);
  });

  it("a tampered file aborts the response instead of completing it (in memory)", async () => {
    const { recording } = await storedRecording();
    await tamper(recording, 100); // a ciphertext byte
    const response = await get(recording.id);
    expect(response.status).toBe(200); // headers go out before the end is verified…
    // …the body fails (the test runtime's Response may refuse the errored stream outright).
    await expect((async () => response.arrayBuffer())()).rejects.toThrow();
    const entries = await waitFor(async () => {
      const rows = await downloads(recording.id);
      return rows.length === 2 && rows;
    });
    expect(entries.map((e) => e.outcome)).toEqual(["started", "integrity_failed"]);
  });

  it("a tampered tag: the client never receives Content-Length bytes (real HTTP)", async () => {
    const url = await listen();
    const cases = [
      { offset: -1, make: storedRecording },
      { offset: 200, make: storedRecording },
      // Many chunks: the response is under way when the tag fails.
      { offset: -1, make: largeStoredRecording },
    ];
    for (const { offset, make } of cases) {
      const { recording, audio } = await make();
      // -1 is the last byte of the tag: every audio byte decrypts before the check fails.
      await tamper(recording, offset);
      let received = 0;
      // Either the connection closes before the response starts, or midway through its body.
      const failure = await fetch(`${url}/api/recordings/${recording.id}/media`, { headers: read })
        .then(async (response) => {
          expect(response.headers.get("content-length")).toBe(String(audio.length));
          for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
            received += chunk.length;
          }
        })
        .then(
          () => undefined,
          (error: unknown) => error,
        );
      expect(failure).toBeInstanceOf(Error);
      expect(received).toBeLessThan(audio.length);
      const entries = await waitFor(async () => {
        const rows = await downloads(recording.id);
        return rows.length === 2 && rows;
      });
      expect(entries.map((e) => e.outcome)).toEqual(["started", "integrity_failed"]);
    }
    // The server lives on and serves the next download.
    const { recording, audio } = await storedRecording();
    const next = await fetch(`${url}/api/recordings/${recording.id}/media`, { headers: read });
    expect(Buffer.from(await next.arrayBuffer()).equals(audio)).toBe(true);
  });
});
