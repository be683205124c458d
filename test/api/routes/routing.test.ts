import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { encodeCursor } from "../../../src/database/keysetCursor.ts";
import { optimizeQueueRouting } from "../../../src/routing/optimizeQueueRouting.ts";
import { authHeaders, testApp } from "../../support/app.ts";
import {
  clearCallQueueTraffic,
  insertCallQueueTraffic,
  WINDOW_END,
} from "../../support/callQueueTraffic.ts";
import { testDb } from "../../support/database.ts";

// biome-ignore lint/suspicious/noExplicitAny: response bodies are checked field by field.
type Json = any;
const db = () => testDb().db;
let read: Record<string, string>;

beforeAll(async () => {
  read = await authHeaders("read");
});

beforeEach(async () => {
  await clearCallQueueTraffic(db());
});

async function get(query: string, headers: Record<string, string> = read) {
  const response = await testApp().request(`/api/routing/recommendations/${query}`, { headers });
  return { status: response.status, body: (await response.json()) as Json };
}

const run = (minutesAfter: number) =>
  optimizeQueueRouting(db(), {
    windowEnd: new Date(WINDOW_END.getTime() + minutesAfter * 60_000),
    serviceLevelSeconds: 20,
    serviceLevelTarget: 0.8,
  });

describe("GET /api/routing/recommendations/", () => {
  it("answers with no recommendation before the task has run", async () => {
    expect(await get("")).toEqual({
      status: 200,
      body: { latest: null, items: [], next_cursor: null },
    });
  });

  it("shows the latest recommendation with its call queues' figures", async () => {
    const { billing, support } = await insertCallQueueTraffic(db());
    const stored = await run(0);
    const { status, body } = await get("");
    expect(status).toBe(200);
    expect(body.latest).toEqual(stored);
    expect(body.items).toEqual([stored]);
    expect(body.latest).toMatchObject({
      window_start: "2026-12-01T10:00:00.000Z",
      window_end: "2026-12-01T10:30:00.000Z",
      service_level_seconds: 20,
      service_level_target: 0.8,
      summary: "move 2 agents from Billing to Support; add 2 agents to Support",
      moves: [
        {
          from_call_queue_id: billing,
          from_call_queue_name: "Billing",
          to_call_queue_id: support,
          to_call_queue_name: "Support",
          agents: 2,
        },
      ],
      additions: [{ call_queue_id: support, call_queue_name: "Support", agents: 2 }],
    });
    expect(body.latest.call_queues[1]).toEqual({
      call_queue_id: support,
      call_queue_name: "Support",
      service_level_seconds: 20,
      offered: 100,
      answered: 99,
      arrival_rate_per_hour: 200,
      average_handle_time_seconds: 180,
      traffic_erlangs: 10,
      agents_serving: 10,
      agents_needed: 14,
      agents_recommended: 14,
      service_level_current: 0,
      service_level_recommended: expect.closeTo(0.888, 3),
    });
  });

  it("pages the history newest first and keeps the latest on every page", async () => {
    await insertCallQueueTraffic(db());
    const oldest = await run(0);
    const middle = await run(30);
    const newest = await run(60);

    const first = await get("?limit=2");
    expect(first.status).toBe(200);
    expect(first.body.items.map((r: Json) => r.id)).toEqual([newest.id, middle.id]);
    expect(first.body.latest.id).toBe(newest.id);
    expect(first.body.next_cursor).toEqual(expect.any(String));
    // Later windows hold fewer of the hand-built calls.
    expect(first.body.items[1].call_queues[1].offered).toBeLessThan(100);

    const second = await get(`?limit=2&cursor=${first.body.next_cursor}`);
    expect(second.status).toBe(200);
    expect(second.body.items.map((r: Json) => r.id)).toEqual([oldest.id]);
    expect(second.body.latest.id).toBe(newest.id);
    expect(second.body.next_cursor).toBeNull();
  });

  it("refuses bad query parameters with a 400 naming the field", async () => {
    const cases: [string, string][] = [
      ["?limit=0", "limit"],
      ["?limit=201", "limit"],
      ["?limit=ten", "limit"],
      ["?limit=1.5", "limit"],
      ["?cursor=not-a-cursor!", "cursor"],
      // A well-formed cursor of a day that does not exist.
      [`?cursor=${encodeCursor({ at: "2026-02-30T00:00:00.000000Z", id: 1 })}`, "cursor"],
      ["?call_queue=Support", "call_queue"],
    ];
    for (const [query, field] of cases) {
      const { status, body } = await get(query);
      expect({ query, status }).toEqual({ query, status: 400 });
      expect(JSON.stringify(body.error.details)).toContain(field);
    }
  });

  it("needs an API token (read, the lowest scope, is enough)", async () => {
    expect((await get("", {})).status).toBe(401);
    expect((await get("", { authorization: "Bearer sb_not-a-token" })).status).toBe(401);
    expect((await get("", await authHeaders("operate"))).status).toBe(200);
  });
});
