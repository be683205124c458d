import { sql } from "kysely";
import { beforeAll, describe, expect, it } from "vitest";
import { authHeaders, testApp } from "../../support/app.ts";
import { testDb } from "../../support/database.ts";

const db = () => testDb().db;
let read: Record<string, string>;

interface AlertPage {
  items: {
    id: number;
    condition: string;
    instance_key: string;
    severity: string;
    status: "open" | "resolved";
    summary: string;
    details: Record<string, unknown>;
    started_at: string;
    resolved_at: string | null;
    last_notified_at: string | null;
    notifications: number;
  }[];
  next_cursor: string | null;
}

async function get(query: string, headers = read) {
  return testApp().request(`/api/alerts/${query}`, { headers });
}

async function page(query: string): Promise<AlertPage> {
  const response = await get(query);
  expect(response.status).toBe(200);
  return (await response.json()) as AlertPage;
}

beforeAll(async () => {
  read = await authHeaders("read");
  // Five alerts started a minute apart (alert 5 newest); the even ones resolved.
  for (let n = 1; n <= 5; n++) {
    await sql`
      insert into alerts (condition, instance_key, severity, summary, details, started_at,
                          resolved_at, last_notified_at, notifications)
      values ('lane_wait', ${`lane-${n}`}, 'critical', ${`lane lane-${n}: oldest waiting job is ${n * 100} s old`},
              ${JSON.stringify({ n })}::jsonb, now() - make_interval(mins => ${10 - n}::int),
              case when ${n} % 2 = 0 then now() end, now(), 1)`.execute(db());
  }
});

describe("GET /api/alerts/", () => {
  it("lists every alert newest first by default", async () => {
    const { items, next_cursor } = await page("");
    expect(items.map((alert) => alert.instance_key)).toEqual([
      "lane-5",
      "lane-4",
      "lane-3",
      "lane-2",
      "lane-1",
    ]);
    expect(next_cursor).toBeNull();
    expect(items[0]).toMatchObject({
      condition: "lane_wait",
      severity: "critical",
      status: "open",
      summary: "lane lane-5: oldest waiting job is 500 s old",
      details: { n: 5 },
      resolved_at: null,
      notifications: 1,
    });
    expect(items[1]?.status).toBe("resolved");
    expect(items[1]?.resolved_at).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  it("filters open and resolved alerts", async () => {
    const open = await page("?status=open");
    expect(open.items.map((alert) => alert.instance_key)).toEqual(["lane-5", "lane-3", "lane-1"]);
    const resolved = await page("?status=resolved");
    expect(resolved.items.map((alert) => alert.instance_key)).toEqual(["lane-4", "lane-2"]);
  });

  it("pages with the cursor, without skipping or repeating", async () => {
    const first = await page("?limit=2");
    expect(first.items.map((alert) => alert.instance_key)).toEqual(["lane-5", "lane-4"]);
    const second = await page(`?limit=2&cursor=${first.next_cursor}`);
    expect(second.items.map((alert) => alert.instance_key)).toEqual(["lane-3", "lane-2"]);
    const third = await page(`?limit=2&cursor=${second.next_cursor}`);
    expect(third.items.map((alert) => alert.instance_key)).toEqual(["lane-1"]);
    expect(third.next_cursor).toBeNull();
  });

  it.each([
    ["?status=firing", "status"],
    ["?limit=0", "limit"],
    ["?limit=many", "limit"],
    ["?cursor=not-a-cursor", "cursor"],
  ])("refuses %s with 400 naming %s", async (query, field) => {
    const response = await get(query);
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: { details: { path: string }[] } };
    expect(body.error.details.map((detail) => detail.path)).toContain(field);
  });

  it("needs a token with the read scope", async () => {
    expect((await get("", {})).status).toBe(401);
  });

  it("is described in the OpenAPI document", async () => {
    const response = await testApp().request("/api/openapi.json", { headers: read });
    const document = (await response.json()) as {
      paths: Record<string, { get?: { parameters?: { name: string }[] } }>;
      components: { schemas: Record<string, unknown> };
    };
    const parameters = document.paths["/api/alerts"]?.get?.parameters?.map((p) => p.name);
    expect(parameters).toEqual(["status", "limit", "cursor"]);
    expect(document.components.schemas).toHaveProperty("AlertPage");
  });
});
