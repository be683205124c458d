import { beforeAll, describe, expect, it } from "vitest";
import { authHeaders, testApp } from "../../support/app.ts";
import { testDb } from "../../support/database.ts";
import { startTestServices, type TestServices } from "../../support/services.ts";

let read: Record<string, string>;
let t: TestServices;

beforeAll(async () => {
  t = await startTestServices();
  read = await authHeaders("read");
  await testDb()
    .db.insertInto("exports")
    .values(
      [0, 1, 2].map((i) => ({
        cache_key: String(i).repeat(64),
        filters: JSON.stringify({
          start_date: "2026-03-01T00:00:00.000Z",
          end_date: `2026-03-0${i + 2}T00:00:00.000Z`,
        }),
        format: "csv",
        requested_by: `user:${i}`,
        status: i === 0 ? "ready" : "running",
        rows_done: 10 * i,
        rows_estimated: i === 0 ? null : 40,
        storage_key: i === 0 ? "exports/0.csv" : null,
        bytes: i === 0 ? 100 : null,
        created_at: new Date(Date.parse("2026-03-10T00:00:00Z") + i * 60_000),
      })),
    )
    .execute();
});

// biome-ignore lint/suspicious/noExplicitAny: response bodies are checked field by field.
const list = async (query: string, headers = read): Promise<{ status: number; body: any }> => {
  const response = await testApp(undefined, { services: t.services }).request(
    `/api/exports${query}`,
    { headers },
  );
  return { status: response.status, body: await response.json() };
};

describe("GET /api/exports", () => {
  it("lists exports newest requested first, in keyset pages", async () => {
    const first = await list("?limit=2");
    expect(first.status).toBe(200);
    expect(first.body.exports.map((e: { requested_by: string }) => e.requested_by)).toEqual([
      "user:2",
      "user:1",
    ]);
    expect(first.body.exports[0]).toEqual({
      export_id: expect.any(String),
      cache_key: "2".repeat(64),
      format: "csv",
      filters: { start_date: "2026-03-01T00:00:00.000Z", end_date: "2026-03-04T00:00:00.000Z" },
      requested_by: "user:2",
      status: "running",
      task_id: null,
      progress: { rows_done: 20, rows_estimated: 40, percent: 50 },
      bytes: null,
      created_at: "2026-03-10T00:02:00.000Z",
      finished_at: null,
      expires_at: null,
      error: null,
      download_url: `/api/tasks/export/download/?cache_key=${"2".repeat(64)}`,
    });
    expect(first.body.next_cursor).toEqual(expect.any(String));

    const second = await list(`?limit=2&cursor=${first.body.next_cursor}`);
    expect(second.body.exports).toHaveLength(1);
    expect(second.body.exports[0]).toMatchObject({
      requested_by: "user:0",
      status: "ready",
      progress: { rows_done: 0, rows_estimated: null, percent: 100 },
      bytes: 100,
    });
    expect(second.body.next_cursor).toBeNull();
  });

  it("needs a token, and refuses a malformed cursor or limit naming the field", async () => {
    expect((await list("", {})).status).toBe(401);
    const badCursor = await list("?cursor=nope!");
    expect(badCursor.status).toBe(400);
    expect(JSON.stringify(badCursor.body)).toContain("cursor");
    expect((await list("?limit=0")).status).toBe(400);
  });
});
