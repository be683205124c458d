import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { localDayRange, localMonthRange } from "../../src/analytics/period.ts";
import { refreshRollups } from "../../src/analytics/refreshRollups.ts";
import type { CallCenterServices } from "../../src/callCenter/services.ts";
import type { Report } from "../../src/database/schema.ts";
import { reportCacheKey } from "../../src/reports/cacheKey.ts";
import { yesterdayIn } from "../../src/reports/defaultPeriods.ts";
import { generateReport } from "../../src/reports/generateReport.ts";
import type { AgentReportContent, PeriodReportContent } from "../../src/reports/reportContent.ts";
import { reportFileKeys } from "../../src/reports/reportFiles.ts";
import { reportGetByCacheKey } from "../../src/reports/reportRows.ts";
import { runTask } from "../../src/testing/runTask.ts";
import calculateAgentMetrics from "../../tasks/calculate_agent_metrics.ts";
import generateDailyReport from "../../tasks/generate_daily_report.ts";
import generateMonthlyReport from "../../tasks/generate_monthly_report.ts";
import generateWeeklyReport from "../../tasks/generate_weekly_report.ts";
import { testDb } from "../support/database.ts";
import { db } from "../support/engine.ts";
import { filesUnder } from "../support/recordings.ts";
import {
  csvRowsViaCopy,
  expectFigures,
  expectRowsMatch,
  sqlAgentFigures,
  sqlCallQueueFigures,
  storedText,
} from "../support/reportChecks.ts";
import {
  hostileNames,
  NEW_YORK,
  REPORT_DAY,
  type ReportData,
  writeReportData,
} from "../support/reportData.ts";
import { startTestServices, type TestServices } from "../support/services.ts";

let t: TestServices;
let services: CallCenterServices;
let data: ReportData;

beforeAll(async () => {
  t = await startTestServices();
  services = { ...t.services, reporting: { ...t.services.reporting, timeZone: NEW_YORK } };
  data = await writeReportData(db());
});

async function readyReport(cacheKey: string): Promise<Report> {
  const row = await reportGetByCacheKey(db(), cacheKey);
  expect(row?.status).toBe("ready");
  return row as Report;
}

describe("the daily report", () => {
  let row: Report;
  let content: PeriodReportContent;

  beforeAll(async () => {
    const { result, execution } = await runTask(
      db(),
      generateDailyReport,
      { date_str: REPORT_DAY },
      { services },
    );
    expect(result.status).toBe("ready");
    row = await readyReport(result.cache_key);
    expect(row.execution_id).toBe(execution.public_id);
    content = row.content as PeriodReportContent;
  });

  it("holds figures equal to those of independent SQL, on a day of 23 hours", async () => {
    const range = localDayRange(REPORT_DAY, NEW_YORK);
    expect(content.range).toEqual({
      from: "2026-03-08T05:00:00.000Z",
      to: "2026-03-09T04:00:00.000Z",
    });
    const [total] = await sqlCallQueueFigures(db(), range, NEW_YORK, "total");
    expectFigures(content.inbound.total, { ...total, label: undefined, callQueueId: undefined });
    // By hand, too: 6 offered, one short abandon, one abandon, 3 of 5 answered within 20 s.
    expectFigures(content.inbound.total, {
      offered: 6,
      answered: 4,
      abandoned: 1,
      shortAbandoned: 1,
      abandonmentRate: 0.2,
      serviceLevel: 0.6,
      averageSpeedOfAnswerSeconds: 14.5,
      longestWaitSeconds: 40,
      averageHandleTimeSeconds: 140,
    });

    const byHour =
      content.inbound.byPeriod.find((breakdown) => breakdown.by === "hour")?.rows ?? [];
    expectRowsMatch(
      byHour,
      await sqlCallQueueFigures(db(), range, NEW_YORK, "hour"),
      (r) => r.period,
      (r) => r.label,
    );
    expect(byHour.map((r) => r.period)).not.toContain("2026-03-08T02:00");
    expect(byHour.find((r) => r.period === "2026-03-08T03:00")?.periodStart).toBe(
      "2026-03-08T07:00:00.000Z",
    );

    expectRowsMatch(
      content.inbound.byCallQueue,
      await sqlCallQueueFigures(db(), range, NEW_YORK, "callQueue"),
      (r) => r.callQueueId,
      (r) => r.callQueueId,
    );
    expect(content.inbound.byCallQueue.map((r) => r.callQueueName).sort()).toEqual(
      [hostileNames.htmlCallQueue, hostileNames.formulaCallQueue].sort(),
    );
  });

  it("compares with the previous day", async () => {
    const [previous] = await sqlCallQueueFigures(
      db(),
      localDayRange("2026-03-07", NEW_YORK),
      NEW_YORK,
      "total",
    );
    expectFigures(content.previous.total, {
      ...previous,
      label: undefined,
      callQueueId: undefined,
    });
    expect(content.previous.label).toBe("2026-03-07");
    expect(content.comparison.offered).toEqual({ current: 6, previous: 2, change: 4 });
    expect(content.comparison.abandonmentRate.previous).toBe(0.5);
    expect(content.comparison.abandonmentRate.change).toBeCloseTo(-0.3, 12);
  });

  it("lists the top agents, outbound campaigns and recordings", async () => {
    const agents = await sqlAgentFigures(db(), localDayRange(REPORT_DAY, NEW_YORK), NEW_YORK);
    // Both handled two calls; the one who talked longer first.
    expect(content.topAgents.map((agent) => agent.agentId)).toEqual([
      data.agentIds[1],
      data.agentIds[0],
    ]);
    for (const want of agents) {
      const got = content.topAgents.find((agent) => agent.agentId === want.agentId);
      expectFigures(got as object, { ...want, day: null }, `agent ${want.agentId}`);
    }
    expect(content.topAgents.find((a) => a.agentId === data.agentIds[0])).toMatchObject({
      handled: 2,
      availableSeconds: 2540,
      busySeconds: 1030,
      wrapUpStateSeconds: 30,
      loggedInSeconds: 3600,
    });
    expect(content.campaigns).toEqual([
      {
        campaignId: data.campaignId,
        campaignName: hostileNames.formulaCampaign,
        dialed: 4,
        connected: 1,
        connectRate: 0.25,
        outcomes: { completed: 1, busy: 1, "no-answer": 1, failed: 0, voicemail: 1 },
      },
      {
        campaignId: null,
        campaignName: null,
        dialed: 1,
        connected: 0,
        connectRate: 0,
        outcomes: { completed: 0, busy: 0, "no-answer": 0, failed: 1, voicemail: 0 },
      },
    ]);
    expect(content.recordings).toEqual({ stored: 2, transcribed: 1 });
  });

  it("stores the same content as its JSON file, under reports/<yyyy>/<mm>/<cache_key>", async () => {
    expect(row.json_key).toBe(`reports/2026/03/${row.cache_key}.json`);
    const json = JSON.parse(await storedText(services.reporting.files, row.json_key as string));
    expect(json).toEqual(row.content);
    expect(await filesUnder(t.filesDir)).toEqual(
      expect.arrayContaining([row.json_key, row.csv_key, row.html_key]),
    );
    // Encrypted at rest: the file on disk is not the JSON.
    const onDisk = await readFile(path.join(t.filesDir, row.json_key as string));
    expect(onDisk.includes(Buffer.from('"reportType"'))).toBe(false);
  });

  it("renders a CSV that PostgreSQL parses, with formula-like cells escaped", async () => {
    const csv = await storedText(services.reporting.files, row.csv_key as string);
    expect(csv.split("\r\n")[0]).toBe(
      "section,period,period_start,call_queue_id,call_queue,agent_id,agent,campaign_id,campaign,metric,value",
    );
    const rows = await csvRowsViaCopy(testDb().pool, csv);
    const cell = (section: string, metric: string, where: Record<string, string> = {}) =>
      rows.filter(
        (r) =>
          r.section === section &&
          r.metric === metric &&
          Object.entries(where).every(([k, v]) => r[k] === v),
      );
    expect(cell("total", "offered").map((r) => r.value)).toEqual(["6"]);
    expect(cell("total", "serviceLevel").map((r) => r.value)).toEqual(["0.6"]);
    expect(cell("previous_total", "offered").map((r) => r.value)).toEqual(["2"]);
    expect(cell("by_hour", "offered", { period: "2026-03-08T03:00" }).map((r) => r.value)).toEqual([
      "2",
    ]);
    const queues = new Set(
      rows.filter((r) => r.section === "by_call_queue").map((r) => r.call_queue),
    );
    expect(queues).toEqual(
      new Set([hostileNames.htmlCallQueue, `'${hostileNames.formulaCallQueue}`]),
    );
    expect(new Set(cell("top_agents", "handled").map((r) => r.agent))).toEqual(
      new Set([hostileNames.agentA, `'${hostileNames.formulaAgent}`]),
    );
    expect(cell("campaigns", "dialed").map((r) => [r.campaign, r.value])).toEqual([
      [`'${hostileNames.formulaCampaign}`, "4"],
      [null, "1"],
    ]);
    // A rate over nothing is an empty cell, not a zero.
    const empty = rows.filter(
      (r) =>
        r.section === "by_hour" &&
        r.metric === "averageSpeedOfAnswerSeconds" &&
        r.period === "2026-03-08T03:00",
    );
    expect(empty.map((r) => r.value)).toEqual([null]);
  });

  it("renders an HTML page with every name escaped", async () => {
    const page = await storedText(services.reporting.files, row.html_key as string);
    expect(page.startsWith("<!DOCTYPE html>")).toBe(true);
    expect(page).not.toContain("<script");
    expect(page).not.toContain("<b>Co</b>");
    expect(page).toContain(
      "&lt;script&gt;alert(&quot;q&quot;)&lt;/script&gt; &amp; &lt;b&gt;Co&lt;/b&gt;",
    );
    expect(page).toContain("Daily report — 2026-03-08");
    expect(page).toContain("60.0%"); // service level
    expect(page).toContain("2:20"); // average handle time
    expect(page).toContain("Compared with 2026-03-07");
  });
});

describe("weekly and monthly reports", () => {
  it("break the week down per day", async () => {
    const { result } = await runTask(
      db(),
      generateWeeklyReport,
      { week_start_str: "2026-03-02" },
      { services },
    );
    const content = (await readyReport(result.cache_key)).content as PeriodReportContent;
    const range = { from: new Date(content.range.from), to: new Date(content.range.to) };
    expect(content.range.from).toBe("2026-03-02T05:00:00.000Z");
    const byDay = content.inbound.byPeriod.find((b) => b.by === "day")?.rows ?? [];
    expectRowsMatch(
      byDay,
      await sqlCallQueueFigures(db(), range, NEW_YORK, "day"),
      (r) => r.period,
      (r) => r.label,
    );
    expect(byDay.map((r) => r.period)).toEqual(["2026-03-07", "2026-03-08"]);
    expect(content.inbound.total.offered).toBe(8);
  });

  it("break the month down per day and per ISO week, read from the rollups", async () => {
    // The month's hours and days rolled up, as calculate_hourly_metrics and
    // update_all_agent_metrics keep them: the report reads them and its figures do not change.
    const rolled = await refreshRollups(db(), {
      range: localMonthRange(2026, 3, NEW_YORK),
      timeZone: NEW_YORK,
    });
    expect(rolled.callQueueHours).toBeGreaterThan(0);
    const { result } = await runTask(
      db(),
      generateMonthlyReport,
      { year: 2026, month: 3 },
      { services },
    );
    const content = (await readyReport(result.cache_key)).content as PeriodReportContent;
    const range = localMonthRange(2026, 3, NEW_YORK);
    expect(content.inbound.byPeriod.map((b) => b.by)).toEqual(["day", "week"]);
    const [byDay, byWeek] = content.inbound.byPeriod.map((b) => b.rows) as [
      typeof content.inbound.byCallQueue,
      typeof content.inbound.byCallQueue,
    ];
    expectRowsMatch(
      byDay,
      await sqlCallQueueFigures(db(), range, NEW_YORK, "day"),
      (r) => r.period,
      (r) => r.label,
    );
    expectRowsMatch(
      byWeek,
      await sqlCallQueueFigures(db(), range, NEW_YORK, "week"),
      (r) => r.period,
      (r) => r.label,
    );
    // 2026-03-07 is a Saturday (week of March 2nd); 03-08 a Sunday; 03-09 04:00Z is Monday in New York.
    expect(byWeek.map((r) => [r.period, r.offered])).toEqual([
      ["2026-03-02", 8],
      ["2026-03-09", 1],
    ]);
    expect(content.previous.label).toBe("February 2026");
  });

  it("default to the previous local period when run without arguments (as the crontab does)", async () => {
    const { result } = await runTask(
      db(),
      generateDailyReport,
      { _cron: { ts: new Date().toISOString(), backfilled: false } },
      { services },
    );
    const row = await readyReport(result.cache_key);
    expect(row.parameters).toEqual({
      report_type: "daily",
      date_str: yesterdayIn(NEW_YORK),
      time_zone: NEW_YORK,
    });
  });
});

describe("the agent report", () => {
  it("holds that agent's figures over the range, in total and per local day", async () => {
    const agentId = data.agentIds[0];
    const dateRange = { start: "2026-03-07T00:00:00-05:00", end: "2026-03-09T00:00:00-05:00" };
    const { result } = await runTask(
      db(),
      calculateAgentMetrics,
      { agent_id: agentId, date_range: dateRange, email_recipients: ["lead@example.com"] },
      { services },
    );
    const row = await readyReport(result.cache_key);
    expect(row.email_recipients).toEqual(["lead@example.com"]);
    expect(row.parameters).toEqual({
      report_type: "agent",
      agent_id: agentId,
      date_range: { start: "2026-03-07T05:00:00.000Z", end: "2026-03-09T05:00:00.000Z" },
      time_zone: NEW_YORK,
    });
    const content = row.content as AgentReportContent;
    expect(content.agent).toEqual({ id: agentId, name: hostileNames.agentA });
    const range = { from: new Date("2026-03-07T05:00:00Z"), to: new Date("2026-03-09T05:00:00Z") };
    const [total] = (await sqlAgentFigures(db(), range, NEW_YORK)).filter(
      (r) => r.agentId === agentId,
    );
    expectFigures(content.total, total as object);
    const days = (await sqlAgentFigures(db(), range, NEW_YORK, true)).filter(
      (r) => r.agentId === agentId,
    );
    expect(content.byDay.map((d) => d.day)).toEqual(["2026-03-07", "2026-03-08", "2026-03-09"]);
    expect(days).toHaveLength(3);
    for (const want of days) {
      expectFigures(content.byDay.find((d) => d.day === want.day) as object, want, want.day ?? "");
    }
    // One on the 7th, two on the 8th, one at midnight starting the 9th (New York).
    expect(content.total.handled).toBe(4);
  });

  it("fails for good for an agent that does not exist", async () => {
    await expect(
      runTask(
        db(),
        calculateAgentMetrics,
        {
          agent_id: 987_654,
          date_range: { start: "2026-03-08T00:00:00Z", end: "2026-03-09T00:00:00Z" },
        },
        { services },
      ),
    ).rejects.toMatchObject({ name: "UnknownAgentError" });
    const key = reportCacheKey({
      report_type: "agent",
      agent_id: 987_654,
      date_range: { start: "2026-03-08T00:00:00.000Z", end: "2026-03-09T00:00:00.000Z" },
      time_zone: NEW_YORK,
    });
    expect(await reportGetByCacheKey(db(), key)).toMatchObject({
      status: "failed",
      error: "No agent 987654",
    });
  });
});

describe("a build that fails", () => {
  it("leaves the report failed with its error and none of its files", async () => {
    const parameters = {
      report_type: "daily",
      date_str: "2026-03-01",
      time_zone: NEW_YORK,
    } as const;
    const cacheKey = reportCacheKey(parameters);
    const keys = reportFileKeys(parameters, cacheKey);
    // The HTML file cannot be written: a non-empty folder holds its name.
    const blocker = path.join(t.filesDir, keys.html);
    await mkdir(blocker, { recursive: true });
    await writeFile(path.join(blocker, "in-the-way"), "x");

    await expect(
      runTask(db(), generateDailyReport, { date_str: "2026-03-01" }, { services }),
    ).rejects.toThrow();
    const row = await reportGetByCacheKey(db(), cacheKey);
    expect(row).toMatchObject({
      status: "failed",
      content: null,
      json_key: null,
      csv_key: null,
      html_key: null,
    });
    expect(row?.error).toBeTruthy();
    const left = await filesUnder(t.filesDir);
    expect(left.filter((file) => file.includes(cacheKey))).toEqual([`${keys.html}/in-the-way`]);

    // Once the way is clear, building again makes it ready.
    await rm(blocker, { recursive: true });
    const { result } = await runTask(
      db(),
      generateDailyReport,
      { date_str: "2026-03-01" },
      { services },
    );
    expect(result.status).toBe("ready");
    expect((await reportGetByCacheKey(db(), cacheKey))?.error).toBeNull();
  });

  it("stops a cancelled build before it stores files, and leaves it failed", async () => {
    const parameters = {
      report_type: "daily",
      date_str: "2026-02-01",
      time_zone: NEW_YORK,
    } as const;
    const cancel = new AbortController();
    cancel.abort(new Error("cancelled by an operator"));
    await expect(
      generateReport(
        { db: db(), reporting: services.reporting },
        { parameters, executionId: null, signal: cancel.signal },
      ),
    ).rejects.toThrow("cancelled by an operator");
    const cacheKey = reportCacheKey(parameters);
    expect(await reportGetByCacheKey(db(), cacheKey)).toMatchObject({
      status: "failed",
      error: "cancelled by an operator",
    });
    expect((await filesUnder(t.filesDir)).filter((file) => file.includes(cacheKey))).toEqual([]);
  });
});
