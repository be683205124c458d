import { sql } from "kysely";
import { beforeEach, describe, expect, it } from "vitest";
import { circuitOpen } from "../../src/alerts/conditions/circuitOpen.ts";
import { databaseLatency } from "../../src/alerts/conditions/databaseLatency.ts";
import { deadExecutions } from "../../src/alerts/conditions/deadExecutions.ts";
import { alertConditionNames } from "../../src/alerts/conditions/index.ts";
import { laneUnserved } from "../../src/alerts/conditions/laneUnserved.ts";
import { laneWait } from "../../src/alerts/conditions/laneWait.ts";
import { workerCrashLoop } from "../../src/alerts/conditions/workerCrashLoop.ts";
import { testDb } from "../support/database.ts";
import {
  deadExecutions as addDeadExecutions,
  breaker,
  endingsAge,
  quietSettings,
  resetAlertState,
  waitingJobs,
  workerRow,
} from "./alertState.ts";

const db = () => testDb().db;

beforeEach(async () => {
  await resetAlertState(db());
});

describe("alert conditions", () => {
  it("are the six named ones", () => {
    expect(alertConditionNames).toEqual([
      "dead_executions",
      "lane_wait",
      "lane_unserved",
      "circuit_open",
      "database_latency",
      "worker_crash_loop",
    ]);
  });

  it("dead_executions fires at the threshold within the window, and not for older ones", async () => {
    const settings = quietSettings({ deadExecutions: 3, windowMinutes: 10 });
    await addDeadExecutions(db(), 2, 1);
    await addDeadExecutions(db(), 4, 30);
    expect(await deadExecutions.evaluate(db(), settings)).toEqual([]);
    await addDeadExecutions(db(), 1, 2);
    expect(await deadExecutions.evaluate(db(), settings)).toEqual([
      {
        key: "",
        severity: "critical",
        summary: "3 executions ended dead in the last 10 min",
        details: { dead: 3, window_minutes: 10, threshold: 3 },
      },
    ]);
    await endingsAge(db(), "1 hour");
    expect(await deadExecutions.evaluate(db(), settings)).toEqual([]);
  });

  it("lane_wait fires once per lane whose oldest waiting job is over the threshold", async () => {
    const settings = quietSettings({ maxWaitSeconds: 300 });
    await waitingJobs(db(), "reports", 2, 812);
    await waitingJobs(db(), "reports", 1, 10);
    await waitingJobs(db(), "email", 1, 301);
    await waitingJobs(db(), "webhooks", 3, 100);
    const firing = await laneWait.evaluate(db(), settings);
    expect(firing.map((instance) => [instance.key, instance.summary])).toEqual([
      ["email", "lane email: oldest waiting job is 301 s old"],
      ["reports", "lane reports: oldest waiting job is 812 s old"],
    ]);
    expect(firing[1]?.details).toMatchObject({ waiting: 3, threshold_seconds: 300 });
    await sql`update executions set run_at = now()`.execute(db());
    expect(await laneWait.evaluate(db(), settings)).toEqual([]);
  });

  it("lane_unserved fires for a lane with waiting jobs and no live worker serving it", async () => {
    const settings = quietSettings();
    await waitingJobs(db(), "recordings", 2);
    await waitingJobs(db(), "webhooks", 1);
    await workerRow(db(), { type: "realtime", host: "a", lanes: ["webhooks", "realtime"] });
    // A stopped worker serving recordings does not count.
    await workerRow(db(), {
      type: "processing",
      host: "a",
      lanes: ["recordings"],
      stoppedMinutesAgo: 1,
    });
    const firing = await laneUnserved.evaluate(db(), settings);
    expect(firing).toEqual([
      {
        key: "recordings",
        severity: "critical",
        summary: "lane recordings: 2 jobs waiting and no live worker serves it",
        details: { lane: "recordings", waiting: 2, live_workers: 1 },
      },
    ]);
    await workerRow(db(), { type: "processing", host: "b", lanes: ["recordings"] });
    expect(await laneUnserved.evaluate(db(), settings)).toEqual([]);
  });

  it("lane_unserved counts a silent worker as not serving", async () => {
    await waitingJobs(db(), "recordings", 1);
    await workerRow(db(), { type: "processing", host: "a", lanes: ["recordings"] });
    await sql`update workers set last_seen_at = now() - interval '10 minutes'`.execute(db());
    const firing = await laneUnserved.evaluate(db(), quietSettings({ silentAfterMs: 30_000 }));
    expect(firing.map((instance) => instance.key)).toEqual(["recordings"]);
  });

  it("circuit_open fires once per breaker that is open or half-open", async () => {
    await breaker(db(), "twilio", "open");
    await breaker(db(), "smtp", "half_open");
    await breaker(db(), "s3", "closed");
    const firing = await circuitOpen.evaluate(db(), quietSettings());
    expect(firing.map((instance) => [instance.key, instance.summary])).toEqual([
      ["smtp", "circuit breaker smtp is half-open"],
      ["twilio", "circuit breaker twilio is open"],
    ]);
    expect(firing[1]?.details).toMatchObject({ breaker: "twilio", state: "open", failures: 5 });
    await breaker(db(), "twilio", "closed");
    await breaker(db(), "smtp", "closed");
    expect(await circuitOpen.evaluate(db(), quietSettings())).toEqual([]);
  });

  it("database_latency fires when the fastest round trip is over the threshold", async () => {
    const [instance] = await databaseLatency.evaluate(
      db(),
      quietSettings({ databaseLatencyMs: 0 }),
    );
    expect(instance?.severity).toBe("warning");
    expect(instance?.summary).toMatch(/^database answers in \d+(\.\d)? ms$/);
    expect(instance?.details.latency_ms).toBeGreaterThan(0);
    expect(
      await databaseLatency.evaluate(db(), quietSettings({ databaseLatencyMs: 10_000 })),
    ).toEqual([]);
  });

  it("worker_crash_loop fires per type and host for workers lost in the window, not recycled ones", async () => {
    const settings = quietSettings({ crashLoopRestarts: 3, windowMinutes: 15 });
    for (const reason of ["process_gone", "process_gone", "silent"]) {
      await workerRow(db(), {
        type: "processing",
        host: "box-1",
        stoppedMinutesAgo: 2,
        stopReason: reason,
      });
    }
    // Clean stops (recycling) and losses elsewhere or long ago do not count.
    for (let n = 0; n < 5; n++) {
      await workerRow(db(), { type: "realtime", host: "box-1", stoppedMinutesAgo: 1 });
    }
    await workerRow(db(), {
      type: "processing",
      host: "box-2",
      stoppedMinutesAgo: 1,
      stopReason: "process_gone",
    });
    await workerRow(db(), {
      type: "realtime",
      host: "box-1",
      stoppedMinutesAgo: 60,
      stopReason: "process_gone",
    });
    const firing = await workerCrashLoop.evaluate(db(), settings);
    expect(firing).toHaveLength(1);
    expect(firing[0]).toMatchObject({
      key: "processing@box-1",
      severity: "critical",
      summary: "worker processing on box-1: 3 workers lost in the last 15 min",
      details: { lost: 3, stop_reasons: ["process_gone", "silent"] },
    });
    await sql`update workers set stopped_at = now() - interval '1 hour'`.execute(db());
    expect(await workerCrashLoop.evaluate(db(), settings)).toEqual([]);
  });
});
