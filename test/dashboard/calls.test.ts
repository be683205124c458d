import { beforeAll, describe, expect, it } from "vitest";
import { testApp } from "../support/app.ts";
import { dashboardSession, type TestSession } from "../support/dashboard.ts";
import { testDb } from "../support/database.ts";

let read: TestSession;
const seeded = {
  inbound: "" as string,
  outbound: [] as string[],
  campaign: "" as string,
  recordingId: 0,
};
const INBOUND_SID = `CA${"1".repeat(32)}`;

beforeAll(async () => {
  const { db } = testDb();
  read = await dashboardSession("read");
  const queue = await db
    .insertInto("call_queues")
    .values({ name: "support" })
    .returning("id")
    .executeTakeFirstOrThrow();
  const campaign = await db
    .insertInto("campaigns")
    .values({
      name: "Spring renewals",
      from_number: "+15550000000",
      max_concurrent_calls: 2,
      total_calls: 4,
    })
    .returning(["id", "public_id"])
    .executeTakeFirstOrThrow();
  seeded.campaign = campaign.public_id;
  const inbound = await db
    .insertInto("calls")
    .values({
      sid: INBOUND_SID,
      direction: "inbound",
      from_number: "+15551110000",
      to_number: "+15550000000",
      status: "completed",
      status_rank: 4,
      outcome: "completed",
      call_queue_id: queue.id,
      duration_seconds: 95,
      created_at: new Date("2026-03-08T10:00:00Z"),
    })
    .returning(["id", "public_id"])
    .executeTakeFirstOrThrow();
  seeded.inbound = inbound.public_id;
  const outcomes = [
    { status: "completed", status_rank: 4, sid: `CA${"2".repeat(32)}` },
    { status: "busy", status_rank: 4, sid: `CA${"3".repeat(32)}` },
    { status: "in-progress", status_rank: 3, sid: `CA${"4".repeat(32)}` },
    { status: "queued", status_rank: 0, sid: null },
  ];
  for (const [i, call] of outcomes.entries()) {
    const row = await db
      .insertInto("calls")
      .values({
        ...call,
        direction: "outbound-api",
        from_number: "+15550000000",
        to_number: `+1555222000${i}`,
        campaign_id: campaign.id,
        created_at: new Date(Date.parse("2026-03-08T11:00:00Z") + i * 60_000),
      })
      .returning("public_id")
      .executeTakeFirstOrThrow();
    seeded.outbound.push(row.public_id);
  }
  for (const [sequence, status] of ["ringing", "in-progress", "completed"].entries()) {
    await db
      .insertInto("call_events")
      .values({
        call_id: inbound.id,
        call_sid: INBOUND_SID,
        sequence_number: sequence,
        status,
        payload: JSON.stringify({}),
        applied: true,
        received_at: new Date(Date.parse("2026-03-08T10:00:00Z") + sequence * 1000),
      })
      .execute();
  }
  const recording = await db
    .insertInto("recordings")
    .values({
      sid: `RE${"5".repeat(32)}`,
      call_id: inbound.id,
      call_sid: INBOUND_SID,
      status: "stored",
      storage_key: "recordings/test.wav",
      size_bytes: 1024,
      duration_seconds: 90,
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  seeded.recordingId = recording.id;
  await db
    .insertInto("transcripts")
    .values({
      recording_id: recording.id,
      language: "en-US",
      status: "completed",
      text: "Hello, I would like to <renew> my plan.",
      completed_at: new Date(),
    })
    .execute();
});

const get = async (path: string, session = read) => {
  const response = await testApp().request(path, { headers: session.headers });
  return { status: response.status, text: await response.text() };
};

const tableRows = (page: string) =>
  (page.match(/<tbody>([\s\S]*?)<\/tbody>/)?.[1] ?? "").split("<tr>").length - 1;

describe("/dashboard/calls", () => {
  it("lists every call, newest first, each linked to its page, with no action buttons", async () => {
    const { status, text } = await get("/dashboard/calls");
    expect(status).toBe(200);
    expect(tableRows(text)).toBe(5);
    const linked = [...text.matchAll(/href="\/dashboard\/calls\/([0-9a-f-]{36})"/g)].map(
      (m) => m[1],
    );
    expect(linked).toEqual([...seeded.outbound].reverse().concat(seeded.inbound));
    expect(text).not.toMatch(/<button[^>]*data-api-post/);
  });

  it("filters by direction, outcome and call queue as the API does", async () => {
    const inbound = await get("/dashboard/calls?direction=inbound&outcome=&call_queue=");
    expect(tableRows(inbound.text)).toBe(1);
    expect(inbound.text).toContain(INBOUND_SID);
    expect(tableRows((await get("/dashboard/calls?call_queue=support")).text)).toBe(1);
    expect(tableRows((await get("/dashboard/calls?call_queue=sales")).text)).toBe(0);
    expect(tableRows((await get("/dashboard/calls?direction=outbound-api")).text)).toBe(4);
    const refused = await get("/dashboard/calls?direction=sideways");
    expect(refused.status).toBe(400);
    expect(refused.text).toContain("direction must be one of");
  });

  it("pages with a keyset cursor", async () => {
    const first = await get("/dashboard/calls?limit=3");
    expect(tableRows(first.text)).toBe(3);
    const next = /href="(\/dashboard\/calls\?[^"]*cursor=[^"]+)" rel="next"/.exec(first.text)?.[1];
    expect(next).toBeDefined();
    const second = await get((next as string).replaceAll("&amp;", "&"));
    expect(tableRows(second.text)).toBe(2);
    expect(second.text).toContain(seeded.inbound);
    expect(second.text).not.toContain('rel="next"');
  });
});

describe("/dashboard/calls/:sid", () => {
  it("shows the call's facts, status timeline, playable recording and transcript", async () => {
    for (const key of [seeded.inbound, INBOUND_SID]) {
      const { status, text } = await get(`/dashboard/calls/${key}`);
      expect(status).toBe(200);
      expect(text).toContain(`<title>Call ${INBOUND_SID} · Switchboard</title>`);
      expect(text).toContain("<dd>support</dd>");
      expect(text).toContain("1 min 35 s");
      const timeline = text.split("Status timeline")[1]?.split("Recordings")[0] ?? "";
      expect([...timeline.matchAll(/data-field="status">([a-z-]+)</g)].map((m) => m[1])).toEqual([
        "ringing",
        "in-progress",
        "completed",
      ]);
      expect(text).toContain(
        `<audio controls preload="metadata" src="/api/recordings/${seeded.recordingId}/media"`,
      );
      expect(text).toContain("Hello, I would like to &lt;renew&gt; my plan.");
    }
  });

  it("answers 404 for an unknown call and for a malformed id", async () => {
    expect((await get("/dashboard/calls/00000000-0000-4000-8000-000000000000")).status).toBe(404);
    expect((await get("/dashboard/calls/nonsense")).status).toBe(404);
  });

  it("shows a call without recordings or events plainly", async () => {
    const { status, text } = await get(`/dashboard/calls/${seeded.outbound[3]}`);
    expect(status).toBe(200);
    expect(text).toContain("No status events yet.");
    expect(text).toContain("No recordings.");
    expect(text).not.toContain("<audio");
  });
});

describe("/dashboard/campaigns", () => {
  it("lists campaigns and shows one's progress by outcome", async () => {
    const list = await get("/dashboard/campaigns");
    expect(list.status).toBe(200);
    expect(tableRows(list.text)).toBe(1);
    expect(list.text).toContain(
      `href="/dashboard/campaigns/${seeded.campaign}">Spring renewals</a>`,
    );
    expect(tableRows((await get("/dashboard/campaigns?status=completed")).text)).toBe(0);

    const { status, text } = await get(`/dashboard/campaigns/${seeded.campaign}`);
    expect(status).toBe(200);
    const counts = Object.fromEntries(
      [...text.matchAll(/data-count="([a-z_]+)">([0-9,]+)</g)].map((m) => [m[1], Number(m[2])]),
    );
    expect(counts).toEqual({
      total: 4,
      queued: 1,
      dialed: 3,
      in_progress: 1,
      completed: 1,
      failed: 1,
    });
    expect(text).toMatch(/<progress id="campaign-progress" max="4" value="2">/);
    expect(text).toContain('<script src="/dashboard/assets/campaign.js" defer></script>');
    expect(text).not.toMatch(/<button[^>]*data-api-post/);
  });

  it("answers 404 for an unknown campaign", async () => {
    expect((await get("/dashboard/campaigns/00000000-0000-4000-8000-000000000000")).status).toBe(
      404,
    );
  });
});
