import { sql } from "kysely";
import { beforeAll, describe, expect, it } from "vitest";
import type { CallCenterServices } from "../../../src/callCenter/services.ts";
import { executionCancel } from "../../../src/control/cancel.ts";
import { TaskRegistry } from "../../../src/engine/registry.ts";
import calculateAgentMetrics from "../../../tasks/calculate_agent_metrics.ts";
import generateDailyReport from "../../../tasks/generate_daily_report.ts";
import generateMonthlyReport from "../../../tasks/generate_monthly_report.ts";
import generateWeeklyReport from "../../../tasks/generate_weekly_report.ts";
import { authHeaders, testApp } from "../../support/app.ts";
import { db, execution, startTestWorker, waitForStatus } from "../../support/engine.ts";
import {
  hostileNames,
  REPORT_DAY,
  type ReportData,
  writeReportData,
} from "../../support/reportData.ts";
import { startTestServices } from "../../support/services.ts";

// biome-ignore lint/suspicious/noExplicitAny: response bodies are checked field by field.
type Json = any;

const reportTasks = [
  generateDailyReport,
  generateWeeklyReport,
  generateMonthlyReport,
  calculateAgentMetrics,
];
let services: CallCenterServices;
let data: ReportData;
let read: Record<string, string>;
let operate: Record<string, string>;

beforeAll(async () => {
  services = (await startTestServices()).services;
  data = await writeReportData(db());
  read = await authHeaders("read");
  operate = await authHeaders("operate");
});

const app = () => testApp(undefined, { registry: new TaskRegistry(reportTasks), services });

async function generate(body: unknown, headers = operate) {
  const response = await app().request("/api/tasks/reports/generate/", {
    method: "POST",
    headers,
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Json };
}

async function download(query: string, headers = read) {
  return app().request(`/api/tasks/reports/download/?${query}`, { headers });
}

/** Executions of `taskName`, those whose payload holds `fields` when given. */
const executionsOf = async (taskName: string, fields: Record<string, unknown> = {}) =>
  Number(
    (
      await sql<{ n: number }>`
        select count(*)::int as n from executions
        where task_name = ${taskName} and payload @> ${JSON.stringify(fields)}::jsonb`.execute(db())
    ).rows[0]?.n,
  );
describe("POST /api/tasks/reports/generate/", () => {
  it("enqueues the report's task: 202 with its task id, cache key and where to follow it", async () => {
    const { status, body } = await generate({
      report_type: "weekly",
      week_start_str: "2026-02-23",
      email_recipients: ["admin@example.com"],
    });
    expect(status).toBe(202);
    expect(body).toMatchObject({ status: "pending", reused: false });
    expect(body.cache_key).toMatch(/^[0-9a-f]{32}$/);
    expect(body.status_url).toBe(`/api/tasks/status/${body.task_id}/`);
    expect(body.download_url).toBe(`/api/tasks/reports/download/?cache_key=${body.cache_key}`);
    const job = await execution(body.task_id);
    expect(job).toMatchObject({
      task_name: "generate_weekly_report",
      lane: "reports",
      status: "queued",
    });
    expect(job.payload).toEqual({ week_start_str: "2026-02-23", time_zone: "UTC" });
    const row = await db()
      .selectFrom("reports")
      .selectAll()
      .where("cache_key", "=", body.cache_key)
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({
      status: "pending",
      execution_id: body.task_id,
      email_recipients: ["admin@example.com"],
    });
  });

  it("reuses a report being built (no new job), adding recipients; refresh enqueues again", async () => {
    const body = { report_type: "monthly", year: 2026, month: 1 };
    const first = await generate({ ...body, email_recipients: ["a@example.com"] });
    const again = await generate({ ...body, email_recipients: ["b@example.com", "a@example.com"] });
    expect(again.status).toBe(202);
    expect(again.body).toMatchObject({
      task_id: first.body.task_id,
      cache_key: first.body.cache_key,
      reused: true,
    });
    expect(await executionsOf("generate_monthly_report")).toBe(1);
    const refreshed = await generate({ ...body, refresh: true });
    expect(refreshed.body).toMatchObject({
      cache_key: first.body.cache_key,
      reused: false,
      status: "pending",
    });
    expect(refreshed.body.task_id).not.toBe(first.body.task_id);
    expect(await executionsOf("generate_monthly_report")).toBe(2);
    const row = await db()
      .selectFrom("reports")
      .selectAll()
      .where("cache_key", "=", first.body.cache_key)
      .executeTakeFirstOrThrow();
    expect(row.execution_id).toBe(refreshed.body.task_id);
    expect(row.email_recipients).toEqual(["a@example.com", "b@example.com"]);
  });

  it("enqueues one job for the same report asked for many times at once", async () => {
    const body = { report_type: "daily", date_str: "2026-02-14" };
    const answers = await Promise.all(Array.from({ length: 6 }, () => generate(body)));
    expect(answers.map((answer) => answer.status)).toEqual(Array(6).fill(202));
    expect(new Set(answers.map((answer) => answer.body.task_id)).size).toBe(1);
    expect(answers.filter((answer) => !answer.body.reused)).toHaveLength(1);
    const jobs = await sql<{ n: number }>`
      select count(*)::int as n from executions
      where task_name = 'generate_daily_report' and payload->>'date_str' = '2026-02-14'`.execute(
      db(),
    );
    expect(jobs.rows[0]?.n).toBe(1);
  });

  it("builds it with a worker; the fresh report is then reused, and downloads in three formats", async () => {
    await startTestWorker(reportTasks, { services });
    const { body } = await generate({ report_type: "daily", date_str: REPORT_DAY });
    expect((await waitForStatus(body.task_id, ["succeeded", "dead"])).status).toBe("succeeded");

    const again = await generate({ report_type: "daily", date_str: REPORT_DAY });
    expect(again.body).toMatchObject({ task_id: body.task_id, status: "ready", reused: true });
    expect(await executionsOf("generate_daily_report", { date_str: REPORT_DAY })).toBe(1);

    const json = await download(`cache_key=${body.cache_key}&format=json`);
    expect(json.status).toBe(200);
    expect(json.headers.get("content-type")).toBe("application/json; charset=utf-8");
    expect(json.headers.get("content-disposition")).toBe(
      'attachment; filename="daily-report-2026-03-08.json"',
    );
    const content = (await json.json()) as Json;
    expect(content).toMatchObject({
      reportType: "daily",
      timeZone: "UTC",
      parameters: { date_str: REPORT_DAY },
    });
    // In UTC the day holds the calls from 00:00Z to 24:00Z of March 8th.
    expect(content.inbound.total.offered).toBe(5);

    const csv = await download(`cache_key=${body.cache_key}&format=csv`);
    expect(csv.headers.get("content-type")).toMatch(/^text\/csv; charset=utf-8/);
    expect(csv.headers.get("content-disposition")).toBe(
      'attachment; filename="daily-report-2026-03-08.csv"',
    );
    const text = await csv.text();
    expect(text).toContain(`"'${hostileNames.formulaCallQueue.replaceAll('"', '""')}"`);

    const html = await download(`cache_key=${body.cache_key}&format=html`);
    expect(html.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(html.headers.get("content-security-policy")).toContain("default-src 'none'");
    const page = await html.text();
    expect(page).toContain("&lt;script&gt;");
    expect(page).not.toContain("<script");

    // Without a format: JSON.
    expect((await download(`cache_key=${body.cache_key}`)).headers.get("content-type")).toMatch(
      /^application\/json/,
    );

    const listed = (await (
      await app().request("/api/reports/?report_type=daily", { headers: read })
    ).json()) as Json;
    expect(listed.reports.find((r: Json) => r.cache_key === body.cache_key)).toMatchObject({
      status: "ready",
      task_id: body.task_id,
      parameters: { report_type: "daily", date_str: REPORT_DAY, time_zone: "UTC" },
    });
  });

  it("answers 400 naming the field for bad or missing fields", async () => {
    const cases: [unknown, string][] = [
      [{ report_type: "monthly", year: 2026 }, "month"],
      [{ report_type: "monthly", year: 2026, month: 13 }, "month"],
      [{ report_type: "daily", date_str: "2026-02-30" }, "date_str"],
      [{ report_type: "daily" }, "date_str"],
      [{ report_type: "weekly", week_start_str: "next monday" }, "week_start_str"],
      [{ report_type: "yearly", year: 2026 }, "report_type"],
      [{ date_str: REPORT_DAY }, "report_type"],
      [{ report_type: "agent", agent_id: 1 }, "date_range"],
      [
        {
          report_type: "agent",
          agent_id: 1,
          date_range: { start: "2026-03-08T00:00:00Z", end: "2026-03-07T00:00:00Z" },
        },
        "date_range.end",
      ],
      [
        {
          report_type: "agent",
          agent_id: 1,
          date_range: { start: "2026-03-08", end: "2026-03-09T00:00:00Z" },
        },
        "date_range.start",
      ],
      [
        { report_type: "daily", date_str: REPORT_DAY, email_recipients: ["not-an-address"] },
        "email_recipients.0",
      ],
      [{ report_type: "daily", date_str: REPORT_DAY, refresh: "yes" }, "refresh"],
    ];
    for (const [body, field] of cases) {
      const response = await generate(body);
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(
        response.body.error.details.map((d: Json) => d.path),
        JSON.stringify(body),
      ).toContain(field);
    }
    const extra = await generate({ report_type: "daily", date_str: REPORT_DAY, month: 3 });
    expect(extra.status).toBe(400);
    expect(JSON.stringify(extra.body.error.details)).toContain("month");
  });

  it("answers 404 for an agent that does not exist, and enqueues for one that does", async () => {
    const dateRange = { start: "2026-03-08T00:00:00Z", end: "2026-03-09T00:00:00Z" };
    const missing = await generate({
      report_type: "agent",
      agent_id: 987_654,
      date_range: dateRange,
    });
    expect(missing.status).toBe(404);
    expect(missing.body.error.details).toEqual([
      { path: "agent_id", message: "no agent with this id" },
    ]);
    const found = await generate({
      report_type: "agent",
      agent_id: data.agentIds[0],
      date_range: dateRange,
    });
    expect(found.status).toBe(202);
    expect((await execution(found.body.task_id)).payload).toEqual({
      agent_id: data.agentIds[0],
      date_range: { start: "2026-03-08T00:00:00.000Z", end: "2026-03-09T00:00:00.000Z" },
      time_zone: "UTC",
    });
  });

  it("needs the operate scope", async () => {
    const response = await generate({ report_type: "daily", date_str: REPORT_DAY }, read);
    expect(response.status).toBe(403);
  });
});

describe("GET /api/tasks/reports/download/", () => {
  it("answers 404 for an unknown cache key and 400 for a malformed one or format", async () => {
    const unknown = await download(`cache_key=${"0".repeat(32)}`);
    expect(unknown.status).toBe(404);
    const malformed = await download("cache_key=../../etc/passwd");
    expect(malformed.status).toBe(400);
    expect(((await malformed.json()) as Json).error.details[0].path).toBe("cache_key");
    const missing = await download("format=csv");
    expect(((await missing.json()) as Json).error.details[0].path).toBe("cache_key");
    const format = await download(`cache_key=${"0".repeat(32)}&format=pdf`);
    expect(format.status).toBe(400);
    expect(((await format.json()) as Json).error.details[0].path).toBe("format");
  });

  it("answers 409 with the status while the report is not ready, and its error when it failed", async () => {
    const { body } = await generate({ report_type: "daily", date_str: "2026-01-15" });
    const pending = await download(`cache_key=${body.cache_key}&format=csv`);
    expect(pending.status).toBe(409);
    expect(((await pending.json()) as Json).error).toMatchObject({
      code: "not_ready",
      message: "The report is pending",
      details: [{ path: "status", message: "pending" }],
    });
    // Cancelled before a worker took it, as an operator would.
    expect(await executionCancel(db(), { publicId: body.task_id, actor: "test" })).toBe(
      "cancelled",
    );
    const ended = await download(`cache_key=${body.cache_key}`);
    expect(ended.status).toBe(409);
    expect(((await ended.json()) as Json).error).toMatchObject({
      message: "The report's build ended cancelled before it was ready; ask for the report again",
      details: [
        { path: "status", message: "pending" },
        { path: "execution_status", message: "cancelled" },
      ],
    });
    // Asked for again, it gets a new job.
    const again = await generate({ report_type: "daily", date_str: "2026-01-15" });
    expect(again.body).toMatchObject({ reused: false, cache_key: body.cache_key });
    expect(again.body.task_id).not.toBe(body.task_id);

    await db()
      .updateTable("reports")
      .set({ status: "failed", error: "the generated-files store is full" })
      .where("cache_key", "=", body.cache_key)
      .execute();
    const failed = await download(`cache_key=${body.cache_key}`);
    expect(failed.status).toBe(409);
    expect(((await failed.json()) as Json).error).toMatchObject({
      message: "The report failed: the generated-files store is full",
      details: [
        { path: "status", message: "failed" },
        { path: "error", message: "the generated-files store is full" },
      ],
    });
  });
});

describe("GET /api/reports/", () => {
  it("lists newest first, keyset-paged, filtered by type", async () => {
    for (const date of ["2025-12-01", "2025-12-02", "2025-12-03"]) {
      await generate({ report_type: "daily", date_str: date });
    }
    const first = (await (
      await app().request("/api/reports/?report_type=daily&limit=2", { headers: read })
    ).json()) as Json;
    expect(first.reports).toHaveLength(2);
    expect(first.reports.every((r: Json) => r.report_type === "daily")).toBe(true);
    expect(first.reports.map((r: Json) => r.parameters.date_str)).toEqual([
      "2025-12-03",
      "2025-12-02",
    ]);
    expect(first.next_cursor).toBeTruthy();
    const second = (await (
      await app().request(`/api/reports/?report_type=daily&limit=2&cursor=${first.next_cursor}`, {
        headers: read,
      })
    ).json()) as Json;
    expect(second.reports[0].parameters.date_str).toBe("2025-12-01");
    const all = (await (
      await app().request("/api/reports/?limit=200", { headers: read })
    ).json()) as Json;
    const types = new Set(all.reports.map((r: Json) => r.report_type));
    expect(types).toEqual(new Set(["daily", "weekly", "monthly", "agent"]));
    const bad = await app().request("/api/reports/?report_type=yearly", { headers: read });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as Json).error.details[0].path).toBe("report_type");
  });
});
