import { sql } from "kysely";
import { beforeEach, describe, expect, it } from "vitest";
import type { z } from "zod";
import { alertCheck } from "../../src/alerts/alertCheck.ts";
import type { AlertSettings } from "../../src/alerts/settings.ts";
import type { sendEmailPayload } from "../../src/email/payload.ts";
import { laneNames } from "../../src/engine/lanes.ts";
import { enqueuedList } from "../../src/testing/enqueuedList.ts";
import { testDb } from "../support/database.ts";
import {
  breaker,
  deadExecutions,
  endingsAge,
  quietSettings,
  resetAlertState,
  waitingJobs,
  workerRow,
} from "./alertState.ts";

const db = () => testDb().db;
const recipients = ["ops@example.com", "oncall@example.com"];
const settings = quietSettings({
  recipients,
  repeatMinutes: 60,
  maxWaitSeconds: 300,
  silentAfterMs: 3_600_000,
});

type Mail = z.input<typeof sendEmailPayload>;

async function mails(): Promise<Mail[]> {
  const rows = await enqueuedList(db(), "send_email");
  return rows.map((row) => row.payload as Mail);
}

const alerts = () => db().selectFrom("alerts").selectAll().orderBy("id").execute();

/** Moves every alert's mail and start back by `minutes`, as if that much time had passed. */
async function timePasses(minutes: number) {
  await sql`
    update alerts set
      started_at = started_at - make_interval(mins => ${minutes}::int),
      last_notified_at = last_notified_at - make_interval(mins => ${minutes}::int)`.execute(db());
}

beforeEach(async () => {
  await resetAlertState(db());
  // A live worker serves every lane, so only the state a test builds fires.
  await workerRow(db(), { type: "all", host: "test", lanes: [...laneNames] });
});

/** Per condition: the state that makes it fire, the settings it is checked with, and the undoing. */
const states: [
  string,
  string,
  () => Promise<void>,
  Partial<AlertSettings>,
  () => Promise<unknown>,
][] = [
  [
    "dead_executions",
    "",
    () => deadExecutions(db(), 3),
    { deadExecutions: 3 },
    () => endingsAge(db(), "1 day"),
  ],
  [
    "lane_wait",
    "recordings",
    () => waitingJobs(db(), "recordings", 1, 400).then(() => {}),
    {},
    () => sql`update executions set run_at = now()`.execute(db()),
  ],
  [
    "lane_unserved",
    "exports",
    async () => {
      await waitingJobs(db(), "exports", 2);
      await sql`update workers set lanes = array_remove(lanes, 'exports')`.execute(db());
    },
    {},
    () => sql`update workers set lanes = lanes || '{exports}'`.execute(db()),
  ],
  [
    "circuit_open",
    "s3",
    () => breaker(db(), "s3", "open"),
    {},
    () => breaker(db(), "s3", "closed"),
  ],
  ["database_latency", "", async () => {}, { databaseLatencyMs: 0 }, async () => {}],
  [
    "worker_crash_loop",
    "processing@box-9",
    async () => {
      for (let n = 0; n < 3; n++) {
        await workerRow(db(), {
          type: "processing",
          host: "box-9",
          stoppedMinutesAgo: 1,
          stopReason: "process_gone",
        });
      }
    },
    {},
    () =>
      sql`update workers set stopped_at = now() - interval '1 day' where host = 'box-9'`.execute(
        db(),
      ),
  ],
];

describe("alertCheck", () => {
  it.each(states)(
    "opens a %s alert (%s) and resolves it, one mail each",
    async (condition, key, build, overrides, undo) => {
      const firing = { ...settings, ...overrides };
      await build();
      const opened = await alertCheck(db(), firing);
      expect(opened.opened).toEqual([expect.objectContaining({ condition, key, mailed: true })]);
      await undo();
      // database_latency resolves when its threshold is back above the round trip.
      const resolved = await alertCheck(db(), { ...firing, databaseLatencyMs: 60_000 });
      expect(resolved).toMatchObject({ firing: 0, opened: [] });
      expect(resolved.resolved).toEqual([
        expect.objectContaining({ condition, key, mailed: true }),
      ]);
      const subjects = (await mails()).map((mail) => mail.subject);
      expect(subjects).toHaveLength(2);
      expect(subjects[0]).toMatch(/^\[Switchboard\] (CRITICAL|WARNING): /);
      expect(subjects[1]).toMatch(/^\[Switchboard\] RESOLVED: /);
    },
  );

  it("opens an alert and mails once, repeats only after the window, and mails its resolution once", async () => {
    await waitingJobs(db(), "reports", 1, 812);
    const first = await alertCheck(db(), settings);
    expect(first.opened).toEqual([
      expect.objectContaining({
        condition: "lane_wait",
        key: "reports",
        summary: "lane reports: oldest waiting job is 812 s old",
        mailed: true,
      }),
    ]);
    const [started] = await mails();
    expect(started).toMatchObject({
      to_email: recipients,
      subject: "[Switchboard] CRITICAL: lane reports: oldest waiting job is 812 s old",
      priority: "high",
    });
    expect(started?.body).toContain("Condition: lane_wait (reports)");
    expect(started?.body).toContain("oldest_waiting_seconds: 812");
    expect(started?.body).toMatch(/Started: {3}\d{4}-\d\d-\d\dT/);

    // Still firing within the window: the alert is refreshed, no mail.
    const second = await alertCheck(db(), settings);
    expect(second).toMatchObject({ firing: 1, opened: [], resolved: [], renotified: [] });
    expect(await mails()).toHaveLength(1);

    await timePasses(59);
    expect((await alertCheck(db(), settings)).renotified).toEqual([]);
    expect(await mails()).toHaveLength(1);

    await timePasses(1);
    const third = await alertCheck(db(), settings);
    expect(third.renotified).toEqual([expect.objectContaining({ key: "reports", mailed: true })]);
    expect((await mails()).map((mail) => mail.subject)).toEqual([
      "[Switchboard] CRITICAL: lane reports: oldest waiting job is 812 s old",
      expect.stringMatching(
        /^\[Switchboard\] CRITICAL: lane reports: oldest waiting job is \d+ s old \(still firing\)$/,
      ),
    ]);
    expect(await alertCheck(db(), settings)).toMatchObject({ renotified: [] });

    await sql`update executions set run_at = now()`.execute(db());
    const resolving = await alertCheck(db(), settings);
    expect(resolving.resolved).toEqual([expect.objectContaining({ key: "reports", mailed: true })]);
    expect(await alertCheck(db(), settings)).toMatchObject({ firing: 0, resolved: [] });
    const all = await mails();
    expect(all).toHaveLength(3);
    expect(all[2]?.subject).toMatch(
      /^\[Switchboard\] RESOLVED: lane reports: oldest waiting job is \d+ s old$/,
    );
    expect(all[2]?.body).toContain("This alert has resolved.");
    expect(all[2]?.body).toMatch(/Resolved: {2}\d{4}-/);

    const [row] = await alerts();
    expect(row).toMatchObject({
      condition: "lane_wait",
      instance_key: "reports",
      notifications: 3,
    });
    expect(row?.resolved_at).toBeInstanceOf(Date);
  });

  it("opens, repeats and resolves one alert with one mail each when five checks run at once", async () => {
    await breaker(db(), "twilio", "open");
    const results = await Promise.all(Array.from({ length: 5 }, () => alertCheck(db(), settings)));
    expect(results.flatMap((result) => result.opened)).toHaveLength(1);
    expect(results.flatMap((result) => result.renotified)).toHaveLength(0);
    expect(await alerts()).toHaveLength(1);
    expect((await mails()).map((mail) => mail.subject)).toEqual([
      "[Switchboard] CRITICAL: circuit breaker twilio is open",
    ]);

    await timePasses(60);
    const repeating = await Promise.all(
      Array.from({ length: 5 }, () => alertCheck(db(), settings)),
    );
    expect(repeating.flatMap((result) => result.renotified)).toHaveLength(1);
    expect(await mails()).toHaveLength(2);

    await breaker(db(), "twilio", "closed");
    const resolving = await Promise.all(
      Array.from({ length: 5 }, () => alertCheck(db(), settings)),
    );
    expect(resolving.flatMap((result) => result.resolved)).toHaveLength(1);
    expect((await mails()).map((mail) => mail.subject)).toEqual([
      "[Switchboard] CRITICAL: circuit breaker twilio is open",
      "[Switchboard] CRITICAL: circuit breaker twilio is open (still firing)",
      "[Switchboard] RESOLVED: circuit breaker twilio is open",
    ]);
  });

  it("keeps one alert per instance: two lanes, two alerts, two mails", async () => {
    await waitingJobs(db(), "reports", 1, 900);
    await waitingJobs(db(), "email", 1, 400);
    const result = await alertCheck(db(), settings);
    expect(result.opened.map((alert) => alert.key).sort()).toEqual(["email", "reports"]);
    expect(await mails()).toHaveLength(2);
    await sql`update executions set run_at = now() where lane = 'email'`.execute(db());
    const next = await alertCheck(db(), settings);
    expect(next.resolved.map((alert) => alert.key)).toEqual(["email"]);
    const rows = await alerts();
    expect(rows.map((alert) => [alert.instance_key, alert.resolved_at === null]).sort()).toEqual([
      ["email", false],
      ["reports", true],
    ]);
    expect(await mails()).toHaveLength(3);
  });

  it("records alerts without mail when there are no recipients", async () => {
    const silent = { ...settings, recipients: [] };
    await breaker(db(), "smtp", "open");
    expect((await alertCheck(db(), silent)).opened).toEqual([
      expect.objectContaining({ condition: "circuit_open", key: "smtp", mailed: false }),
    ]);
    await timePasses(120);
    expect((await alertCheck(db(), silent)).renotified).toEqual([]);
    await breaker(db(), "smtp", "closed");
    expect((await alertCheck(db(), silent)).resolved).toEqual([
      expect.objectContaining({ key: "smtp", mailed: false }),
    ]);
    expect(await mails()).toEqual([]);
    expect(await alerts()).toEqual([
      expect.objectContaining({ last_notified_at: null, notifications: 0 }),
    ]);
  });

  it("does not mail an instance that starts again within the window, until the window is over", async () => {
    await breaker(db(), "twilio", "open");
    await alertCheck(db(), settings);
    await breaker(db(), "twilio", "closed");
    await alertCheck(db(), settings);
    await breaker(db(), "twilio", "open");
    const flap = await alertCheck(db(), settings);
    expect(flap.opened).toEqual([expect.objectContaining({ key: "twilio", mailed: false })]);
    expect(await mails()).toHaveLength(2);

    // Resolving an alert no one was told about sends nothing.
    await breaker(db(), "twilio", "closed");
    expect((await alertCheck(db(), settings)).resolved).toEqual([
      expect.objectContaining({ mailed: false }),
    ]);
    await breaker(db(), "twilio", "open");
    await alertCheck(db(), settings);
    expect(await mails()).toHaveLength(2);

    await timePasses(60);
    const later = await alertCheck(db(), settings);
    expect(later.renotified).toEqual([expect.objectContaining({ key: "twilio", mailed: true })]);
    const all = await mails();
    expect(all).toHaveLength(3);
    expect(all[2]?.subject).toBe("[Switchboard] CRITICAL: circuit breaker twilio is open");
    expect(all[2]?.body).toContain("This alert started firing.");
    expect(await alerts()).toHaveLength(3);
  });
});
