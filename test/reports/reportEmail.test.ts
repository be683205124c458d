import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { simpleParser } from "mailparser";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { CallCenterServices } from "../../src/callCenter/services.ts";
import type { SendEmailPayload } from "../../src/email/payload.ts";
import { TaskRegistry } from "../../src/engine/registry.ts";
import { reportGetByCacheKey } from "../../src/reports/reportRows.ts";
import { runTask } from "../../src/testing/runTask.ts";
import generateDailyReport from "../../tasks/generate_daily_report.ts";
import generateMonthlyReport from "../../tasks/generate_monthly_report.ts";
import sendEmail from "../../tasks/send_email.ts";
import { authHeaders, testApp } from "../support/app.ts";
import { db, emptyQueue, startTestWorker, waitForStatus } from "../support/engine.ts";
import { NEW_YORK, REPORT_DAY, writeReportData } from "../support/reportData.ts";
import { startTestServices, type TestServices } from "../support/services.ts";

// biome-ignore lint/suspicious/noExplicitAny: response bodies are checked field by field.
type Json = any;
let t: TestServices;
let services: CallCenterServices;

beforeAll(async () => {
  t = await startTestServices();
  services = {
    ...t.services,
    reporting: { ...t.services.reporting, timeZone: NEW_YORK },
    email: { ...t.services.email, reportRecipients: ["ops@example.com"] },
    twilio: { ...t.services.twilio, publicBaseUrl: "https://calls.example.com" },
  };
  await writeReportData(db());
});
beforeEach(emptyQueue);

const emailJobs = () =>
  db()
    .selectFrom("executions")
    .select(["public_id", "payload", "correlation_id"])
    .where("task_name", "=", "send_email")
    .orderBy("id")
    .execute();

describe("report emails", () => {
  it("emails a ready report to its recipients once, with key figures, link and CSV", async () => {
    const { result } = await runTask(
      db(),
      generateDailyReport,
      { date_str: REPORT_DAY, email_recipients: ["boss@example.com"] },
      { services },
    );
    const report = await reportGetByCacheKey(db(), result.cache_key);
    const jobs = await emailJobs();
    expect(jobs).toHaveLength(1);
    const payload = jobs[0]?.payload as SendEmailPayload;
    // Given a day, the run is not the scheduled one: DAILY_REPORT_RECIPIENTS are not added.
    expect(payload.to_email).toEqual(["boss@example.com"]);
    expect(payload.subject).toBe((report?.content as Json)?.title);
    const link = `https://calls.example.com/api/tasks/reports/download/?cache_key=${result.cache_key}&format=csv`;
    expect(payload.body).toContain(link);
    expect(payload.body).toMatch(/^ {2}Offered: \d+ \(.* vs /m);
    expect(payload.html).toContain(`href="${link.replace(/&/g, "&amp;")}"`);
    expect(payload.html).toContain("Service level");
    const csv = await t.services.reporting.files.get(report?.csv_key as string);
    const storedCsv = Buffer.concat(await csv.toArray()).toString("utf8");
    expect(payload.attachments).toEqual([
      {
        filename: `daily-report-${REPORT_DAY}.csv`,
        content: Buffer.from(storedCsv).toString("base64"),
        content_type: "text/csv",
      },
    ]);
    expect(report?.emailed_to).toEqual(["boss@example.com"]);

    // A rebuild of the same report (a retry, a refresh) emails no one again.
    await runTask(
      db(),
      generateDailyReport,
      { date_str: REPORT_DAY, email_recipients: ["boss@example.com"] },
      { services },
    );
    expect(await emailJobs()).toHaveLength(1);
  });

  it("arrives with its CSV attached", async () => {
    await runTask(
      db(),
      generateMonthlyReport,
      { year: 2026, month: 3, email_recipients: ["boss@example.com"] },
      { services },
    );
    const [job] = await emailJobs();
    await startTestWorker([sendEmail], { services });
    await waitForStatus(job?.public_id as string, "succeeded");
    const [file] = (await readdir(t.mailDir)).filter((name) => name.endsWith(".eml"));
    const mail = await simpleParser(await readFile(path.join(t.mailDir, file as string)));
    expect(mail.to && !Array.isArray(mail.to) ? mail.to.text : "").toBe("boss@example.com");
    expect(mail.subject).toMatch(/2026/);
    expect(mail.text).toContain("Offered:");
    expect(mail.html).toContain("Key figures");
    expect(mail.attachments.map((file) => file.filename)).toEqual(["monthly-report-2026-03.csv"]);
    const csv = mail.attachments[0]?.content.toString("utf8") ?? "";
    expect(csv.split("\r\n")[0]).toBe(
      "section,period,period_start,call_queue_id,call_queue,agent_id,agent,campaign_id,campaign,metric,value",
    );
    expect(csv.split("\r\n").length).toBeGreaterThan(10);
  });

  it("sends the scheduled run to DAILY_REPORT_RECIPIENTS", async () => {
    await runTask(db(), generateDailyReport, {}, { services });
    const jobs = await emailJobs();
    expect(jobs.map((job) => (job.payload as SendEmailPayload).to_email)).toEqual([
      ["ops@example.com"],
    ]);
    expect(jobs[0]?.correlation_id).toMatch(/^report:/);
  });

  it("sends a crontab run, whose payload names its day, to DAILY_REPORT_RECIPIENTS", async () => {
    const cronPayload = {
      _cron: { ts: "2026-03-08T02:00:00.000Z", backfilled: false },
      date_str: "2026-03-07",
      time_zone: "UTC",
    };
    await runTask(db(), generateDailyReport, cronPayload, { services });
    const jobs = await emailJobs();
    expect(jobs.map((job) => (job.payload as SendEmailPayload).to_email)).toEqual([
      ["ops@example.com"],
    ]);
    expect(jobs[0]?.correlation_id).toMatch(/^report:/);
  });

  it("emails a reused ready report to a recipient added by POST /api/tasks/reports/generate/", async () => {
    const { result } = await runTask(
      db(),
      generateDailyReport,
      { date_str: "2026-03-07", email_recipients: ["first@example.com"] },
      { services },
    );
    const headers = await authHeaders("operate");
    const app = testApp(undefined, {
      registry: new TaskRegistry([generateDailyReport, sendEmail]),
      services,
    });
    const ask = (recipients: string[]) =>
      app.request("/api/tasks/reports/generate/", {
        method: "POST",
        headers,
        body: JSON.stringify({
          report_type: "daily",
          date_str: "2026-03-07",
          email_recipients: recipients,
        }),
      });
    const response = await ask(["first@example.com", "second@example.com"]);
    const body = (await response.json()) as Json;
    expect(response.status).toBe(202);
    expect(body.reused).toBe(true);
    expect(body.cache_key).toBe(result.cache_key);
    const jobs = await emailJobs();
    expect(jobs.map((job) => (job.payload as SendEmailPayload).to_email)).toEqual([
      ["first@example.com"],
      ["second@example.com"],
    ]);
    await ask(["second@example.com"]);
    expect(await emailJobs()).toHaveLength(2);
  });
});
