import { randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import type { Browser } from "playwright-core";
import { beforeAll, describe, expect, it } from "vitest";
import { recordingKeyFor } from "../../src/storage/recordingKey.ts";
import { launchBrowser, newPage } from "../support/browser.ts";
import { browserSignIn } from "../support/dashboard.ts";
import { type DashboardServer, startDashboardServer } from "../support/dashboardServer.ts";

let browser: Browser;
let server: DashboardServer;

beforeAll(async () => {
  [browser, server] = await Promise.all([launchBrowser(), startDashboardServer()]);
});

/** What the test reads of an `<audio>` element (it compiles without the DOM's types). */
interface AudioElement {
  readyState: number;
  error: { code: number } | null;
  duration: number;
  ended: boolean;
  play(): Promise<void>;
}

/** Half a second of a 440 Hz tone: 8 kHz, 16-bit mono PCM in a WAV file. */
function toneWav(): Buffer {
  const rate = 8000;
  const samples = rate / 2;
  const data = Buffer.alloc(samples * 2);
  for (let i = 0; i < samples; i++) {
    data.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / rate)), i * 2);
  }
  const header = Buffer.alloc(44);
  header.write("RIFF", 0);
  header.writeUInt32LE(36 + data.length, 4);
  header.write("WAVE", 8);
  header.write("fmt ", 12);
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(rate, 24);
  header.writeUInt32LE(rate * 2, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write("data", 36);
  header.writeUInt32LE(data.length, 40);
  return Buffer.concat([header, data]);
}

/** A completed call whose recording is stored, encrypted, in the server's recording store. */
async function callWithStoredRecording() {
  const callSid = `CA${randomBytes(16).toString("hex")}`;
  const recordingSid = `RE${randomBytes(16).toString("hex")}`;
  const put = await server.services.recordings.store.put(
    recordingKeyFor(recordingSid, new Date()),
    Readable.from([toneWav()]),
  );
  const call = await server.db
    .insertInto("calls")
    .values({
      sid: callSid,
      direction: "outbound-api",
      from_number: "+15550000000",
      to_number: "+15551234567",
      status: "completed",
      status_rank: 4,
      duration_seconds: 1,
    })
    .returning(["id", "public_id"])
    .executeTakeFirstOrThrow();
  const recording = await server.db
    .insertInto("recordings")
    .values({
      sid: recordingSid,
      call_id: call.id,
      call_sid: callSid,
      status: "stored",
      storage_key: put.key,
      size_bytes: put.bytes,
      sha256: put.sha256,
      encrypted: true,
      duration_seconds: 1,
      stored_at: new Date(),
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  return { callId: call.public_id, recordingId: recording.id };
}

describe("calls and campaigns in Chromium", () => {
  it("plays the call's recording, streamed decrypted from the API, audited once", async () => {
    const { callId, recordingId } = await callWithStoredRecording();
    const { page, expectNoErrors } = await newPage(browser, server.baseUrl);
    const { username } = await browserSignIn(page, "read");

    const mediaPath = `/api/recordings/${recordingId}/media`;
    const media = page.waitForResponse(
      (response) => new URL(response.url()).pathname === mediaPath,
    );
    await page.goto(`/dashboard/calls/${callId}`);
    const response = await media;
    expect(response.status()).toBe(200);
    expect(response.headers()["content-type"]).toBe("audio/wav");

    const audio = page.locator(`audio[src="${mediaPath}"]`);
    const stateOf = () =>
      audio.evaluate((element) => {
        const media = element as unknown as AudioElement;
        return {
          readyState: media.readyState,
          error: media.error?.code ?? null,
          duration: media.duration,
          ended: media.ended,
        };
      });
    await expect
      .poll(async () => {
        const { readyState, error } = await stateOf();
        return readyState >= 1 || error !== null;
      })
      .toBe(true);
    const state = await stateOf();
    expect(state.error).toBeNull();
    expect(state.readyState).toBeGreaterThanOrEqual(1);
    expect(state.duration).toBeCloseTo(0.5, 1);

    await audio.evaluate((element) => (element as unknown as AudioElement).play());
    await expect.poll(async () => (await stateOf()).ended).toBe(true);

    const audited = await server.db
      .selectFrom("audit_log")
      .select(["actor", "action", "outcome", "target_ids"])
      .where("action", "=", "recording.download")
      .execute();
    expect(audited.filter((row) => row.target_ids.includes(String(recordingId)))).toEqual([
      {
        actor: `user:${username}`,
        action: "recording.download",
        outcome: "started",
        target_ids: [String(recordingId)],
      },
    ]);
    expectNoErrors();
  });

  it("refreshes a running campaign's progress without reloading", async () => {
    const campaign = await server.db
      .insertInto("campaigns")
      .values({
        name: "Live",
        from_number: "+15550000000",
        max_concurrent_calls: 1,
        total_calls: 2,
      })
      .returning(["id", "public_id"])
      .executeTakeFirstOrThrow();
    const calls = await server.db
      .insertInto("calls")
      .values(
        [0, 1].map((i) => ({
          direction: "outbound-api" as const,
          from_number: "+15550000000",
          to_number: `+1555999000${i}`,
          campaign_id: campaign.id,
        })),
      )
      .returning("id")
      .execute();
    const { page, expectNoErrors } = await newPage(browser, server.baseUrl);
    await browserSignIn(page, "read");
    await page.goto(`/dashboard/campaigns/${campaign.public_id}`);
    const completed = page.locator('[data-count="completed"]');
    expect(await completed.textContent()).toBe("0");
    expect(await page.locator("#campaign-progress").getAttribute("value")).toBe("0");

    await server.db
      .updateTable("calls")
      .set({ status: "completed", status_rank: 4, sid: `CA${randomBytes(16).toString("hex")}` })
      .where("id", "=", calls[0]?.id as number)
      .execute();
    await expect.poll(() => completed.textContent(), { timeout: 8_000 }).toBe("1");
    expect(
      await page.locator("#campaign-progress").evaluate((bar) => bar.getAttribute("value")),
    ).toBe("1");
    expect(await page.locator('[data-field="ended"]').textContent()).toBe("1");
    expectNoErrors();
  });
});
