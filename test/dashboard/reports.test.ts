import { beforeAll, describe, expect, it } from "vitest";
import { testApp } from "../support/app.ts";
import { dashboardSession, type TestSession } from "../support/dashboard.ts";
import { testDb } from "../support/database.ts";
import { startTestServices, type TestServices } from "../support/services.ts";

let t: TestServices;
let read: TestSession;
let operate: TestSession;
const READY_REPORT = "a".repeat(32);
const FAILED_REPORT = "b".repeat(32);
const READY_EXPORT = "c".repeat(64);
const EXPIRED_EXPORT = "d".repeat(64);
const RUNNING_EXPORT = "e".repeat(64);

beforeAll(async () => {
  const { db } = testDb();
  t = await startTestServices();
  read = await dashboardSession("read");
  operate = await dashboardSession("operate");
  const day = (date: string) => ({ report_type: "daily", date_str: date, time_zone: "UTC" });
  await db
    .insertInto("reports")
    .values([
      {
        report_type: "daily",
        parameters: JSON.stringify(day("2026-03-07")),
        cache_key: READY_REPORT,
        status: "ready",
        content: JSON.stringify({}),
        json_key: "reports/a.json",
        csv_key: "reports/a.csv",
        html_key: "reports/a.html",
        generated_at: new Date("2026-03-08T01:00:00Z"),
        fresh_until: new Date("2026-03-09T01:00:00Z"),
        created_at: new Date("2026-03-08T00:59:00Z"),
      },
      {
        report_type: "daily",
        parameters: JSON.stringify(day("2026-03-08")),
        cache_key: FAILED_REPORT,
        status: "failed",
        error: "the <database> went away",
        created_at: new Date("2026-03-09T00:59:00Z"),
      },
    ])
    .execute();
  const filters = (start: string) =>
    JSON.stringify({ start_date: start, end_date: "2026-04-01T00:00:00.000Z" });
  await db
    .insertInto("exports")
    .values([
      {
        cache_key: READY_EXPORT,
        filters: filters("2026-03-01T00:00:00.000Z"),
        format: "csv",
        requested_by: "user:ada",
        status: "ready",
        storage_key: "exports/c.csv",
        rows_done: 1234,
        bytes: 5000,
        created_at: new Date("2026-03-10T00:00:00Z"),
        expires_at: new Date(Date.now() + 3_600_000),
      },
      {
        cache_key: EXPIRED_EXPORT,
        filters: filters("2026-02-01T00:00:00.000Z"),
        format: "json",
        requested_by: "user:ada",
        status: "ready",
        storage_key: "exports/d.json",
        created_at: new Date("2026-03-09T00:00:00Z"),
        expires_at: new Date(Date.now() - 1000),
      },
      {
        cache_key: RUNNING_EXPORT,
        filters: filters("2026-01-01T00:00:00.000Z"),
        format: "csv",
        requested_by: "ops-token",
        status: "running",
        rows_done: 10,
        created_at: new Date("2026-03-11T00:00:00Z"),
      },
    ])
    .execute();
});

const get = async (path: string, session: TestSession) => {
  const response = await testApp().request(path, { headers: session.headers });
  return { status: response.status, text: await response.text() };
};

const rowsOf = (page: string, table: string) =>
  (new RegExp(`<table id="${table}">[\\s\\S]*?<tbody>([\\s\\S]*?)</tbody>`).exec(page)?.[1] ?? "")
    .split("<tr>")
    .slice(1);

describe("/dashboard/reports", () => {
  it("lists reports and exports, newest first, with download links only for ready files", async () => {
    const { status, text } = await get("/dashboard/reports", read);
    expect(status).toBe(200);
    const reports = rowsOf(text, "reports");
    expect(reports).toHaveLength(2);
    expect(reports[0]).toContain("date_str: 2026-03-08");
    expect(reports[0]).toContain("the &lt;database&gt; went away");
    expect(reports[0]).not.toContain("href=");
    for (const format of ["json", "csv", "html"]) {
      expect(reports[1]).toContain(
        `href="/api/tasks/reports/download/?cache_key=${READY_REPORT}&amp;format=${format}"`,
      );
    }
    const exports = rowsOf(text, "exports");
    expect(exports).toHaveLength(3);
    expect(exports[0]).toContain(">running<");
    expect(exports[0]).not.toContain("href=");
    expect(exports[1]).toContain("1,234");
    expect(exports[1]).toContain(`href="/api/tasks/export/download/?cache_key=${READY_EXPORT}"`);
    expect(exports[2]).toContain(">expired<");
    expect(exports[2]).not.toContain("href=");
  });

  it("filters reports by type", async () => {
    const { text } = await get("/dashboard/reports?report_type=weekly", read);
    expect(rowsOf(text, "reports")).toHaveLength(0);
    expect(rowsOf(text, "exports")).toHaveLength(3);
  });

  it("shows the generate forms to operate only; the API refuses a read session", async () => {
    const forRead = await get("/dashboard/reports", read);
    expect(forRead.text).not.toContain('id="generate-report"');
    expect(forRead.text).not.toContain('id="export-calls"');
    expect(forRead.text).not.toContain('<button type="submit" class="button primary"');
    expect(forRead.text).not.toContain("reports.js");

    const forOperate = await get("/dashboard/reports", operate);
    expect(forOperate.text).toContain('<form id="generate-report"');
    expect(forOperate.text).toContain('<form id="export-calls"');
    expect(forOperate.text).toContain('<script src="/dashboard/assets/reports.js" defer></script>');

    for (const [path, body] of [
      ["/api/tasks/reports/generate", { report_type: "daily", date_str: "2026-03-08" }],
      [
        "/api/tasks/export",
        { start_date: "2026-03-01T00:00:00Z", end_date: "2026-03-02T00:00:00Z" },
      ],
    ] as const) {
      const refused = await testApp(undefined, { services: t.services }).request(path, {
        method: "POST",
        headers: read.apiHeaders,
        body: JSON.stringify(body),
      });
      expect(refused.status).toBe(403);
    }
  });
});
