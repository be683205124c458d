import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../src/config.ts";

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error("expected a ConfigError");
}

describe("loadConfig", () => {
  it("applies the documented defaults to an empty environment", () => {
    const config = loadConfig({});
    expect(config.databaseUrl).toBeUndefined();
    expect(config.http).toEqual({ host: "127.0.0.1", port: 3000 });
    expect(config.embeddedPostgres).toEqual({ dataDir: ".switchboard/postgres", port: 0 });
    expect(config.logLevel).toBe("info");
    expect(config.workerType).toBe("all");
    expect(config.migrateOnStart).toBe(true);
  });

  it("parses given values", () => {
    const config = loadConfig({
      DATABASE_URL: "postgres://u:p@db.example:5433/calls",
      PORT: "8080",
      LOG_LEVEL: "debug",
      WORKER_TYPE: "realtime",
      MIGRATE_ON_START: "false",
    });
    expect(config.databaseUrl).toBe("postgres://u:p@db.example:5433/calls");
    expect(config.http.port).toBe(8080);
    expect(config.logLevel).toBe("debug");
    expect(config.workerType).toBe("realtime");
    expect(config.migrateOnStart).toBe(false);
  });

  it("treats an empty value as unset", () => {
    expect(loadConfig({ PORT: "", DATABASE_URL: "" }).http.port).toBe(3000);
  });

  it("names the variable of a non-numeric port", () => {
    expect(problemsOf({ PORT: "abc" })).toEqual(["PORT: expected a number"]);
  });

  it("reads REPORT_TIMEZONE as an IANA zone, UTC by default, and names a bad one", () => {
    expect(loadConfig({}).reportTimeZone).toBe("UTC");
    expect(loadConfig({ REPORT_TIMEZONE: "Europe/Paris" }).reportTimeZone).toBe("Europe/Paris");
    expect(problemsOf({ REPORT_TIMEZONE: "Mars/Olympus" })).toEqual([
      "REPORT_TIMEZONE: expected an IANA time zone such as Europe/Paris",
    ]);
  });

  it("reads the simulated call center's rate and agents, and names a bad value", () => {
    expect(loadConfig({}).simulatedCallCenter).toEqual({ callsPerMinute: 3, agents: 4 });
    expect(
      loadConfig({ SIMULATED_INBOUND_CALLS_PER_MINUTE: "0.5", SIMULATED_AGENTS: "2" })
        .simulatedCallCenter,
    ).toEqual({ callsPerMinute: 0.5, agents: 2 });
    expect(loadConfig({ SIMULATED_INBOUND_CALLS_PER_MINUTE: "0" }).simulatedCallCenter).toEqual({
      callsPerMinute: 0,
      agents: 4,
    });
    expect(problemsOf({ SIMULATED_INBOUND_CALLS_PER_MINUTE: "-1" })).toEqual([
      "SIMULATED_INBOUND_CALLS_PER_MINUTE: expected a number such as 3 or 0.5",
    ]);
    expect(problemsOf({ SIMULATED_INBOUND_CALLS_PER_MINUTE: "601" })).toEqual([
      "SIMULATED_INBOUND_CALLS_PER_MINUTE: must be at most 600",
    ]);
    expect(problemsOf({ SIMULATED_AGENTS: "1.5" })).toEqual([
      "SIMULATED_AGENTS: expected a number",
    ]);
  });

  it("reads the service-level target, 0.8 by default, and names a bad one", () => {
    expect(loadConfig({}).serviceLevelTarget).toBe(0.8);
    expect(loadConfig({ SERVICE_LEVEL_TARGET: "0.9" }).serviceLevelTarget).toBe(0.9);
    expect(loadConfig({ SERVICE_LEVEL_TARGET: ".75" }).serviceLevelTarget).toBe(0.75);
    expect(problemsOf({ SERVICE_LEVEL_TARGET: "80%" })).toEqual([
      "SERVICE_LEVEL_TARGET: expected a fraction such as 0.8",
    ]);
    expect(problemsOf({ SERVICE_LEVEL_TARGET: "1" })).toEqual([
      "SERVICE_LEVEL_TARGET: must be below 1",
    ]);
    expect(problemsOf({ SERVICE_LEVEL_TARGET: "0" })).toEqual([
      "SERVICE_LEVEL_TARGET: must be above 0",
    ]);
    expect(problemsOf({ SERVICE_LEVEL_SECONDS: "-3" })).toEqual([
      "SERVICE_LEVEL_SECONDS: must be at least 0",
    ]);
  });

  it("reads the metric thresholds, 5 s and 20 s by default, and names a bad one", () => {
    expect(loadConfig({}).metricThresholds).toEqual({
      shortAbandonSeconds: 5,
      serviceLevelSeconds: 20,
    });
    expect(
      loadConfig({ SHORT_ABANDON_SECONDS: "0", SERVICE_LEVEL_SECONDS: "30" }).metricThresholds,
    ).toEqual({ shortAbandonSeconds: 0, serviceLevelSeconds: 30 });
    expect(problemsOf({ SHORT_ABANDON_SECONDS: "-1", SERVICE_LEVEL_SECONDS: "soon" })).toEqual([
      "SHORT_ABANDON_SECONDS: must be at least 0",
      "SERVICE_LEVEL_SECONDS: expected a number",
    ]);
  });

  it("reads the alert settings, with their defaults, and names a bad recipient or threshold", () => {
    expect(loadConfig({}).alerts).toEqual({
      recipients: [],
      repeatMinutes: 60,
      windowMinutes: 15,
      deadExecutions: 10,
      maxWaitSeconds: 300,
      databaseLatencyMs: 500,
      crashLoopRestarts: 3,
      silentAfterMs: 30_000,
    });
    const config = loadConfig({
      CRITICAL_ALERT_RECIPIENTS: " ops@example.com, oncall@example.org ,",
      ALERT_REPEAT_MINUTES: "30",
      ALERT_MAX_WAIT_SECONDS: "120",
      ALERT_CRASH_LOOP_RESTARTS: "5",
    });
    expect(config.alerts).toMatchObject({
      recipients: ["ops@example.com", "oncall@example.org"],
      repeatMinutes: 30,
      maxWaitSeconds: 120,
      crashLoopRestarts: 5,
    });
    expect(problemsOf({ CRITICAL_ALERT_RECIPIENTS: "ops@example.com,not-an-address" })).toEqual([
      'CRITICAL_ALERT_RECIPIENTS: "not-an-address" is not an email address (expected e.g. ops@example.com,oncall@example.com)',
    ]);
    expect(problemsOf({ ALERT_REPEAT_MINUTES: "0", ALERT_DATABASE_LATENCY_MS: "fast" })).toEqual([
      "ALERT_REPEAT_MINUTES: must be at least 1",
      "ALERT_DATABASE_LATENCY_MS: expected a number",
    ]);
  });

  it("rejects an out-of-range port", () => {
    expect(problemsOf({ PORT: "70000" })).toEqual(["PORT: must be at most 65535"]);
  });

  it("parses per-lane concurrency overrides and names a bad lane", () => {
    expect(
      loadConfig({ LANE_CONCURRENCY: "webhooks=8, reports=2" }).worker.laneConcurrency,
    ).toEqual({
      webhooks: 8,
      reports: 2,
    });
    expect(problemsOf({ LANE_CONCURRENCY: "phones=3" })[0]).toMatch(
      /^LANE_CONCURRENCY: unknown lane "phones"/,
    );
    expect(problemsOf({ LANE_CONCURRENCY: "webhooks=0" })[0]).toMatch(
      /^LANE_CONCURRENCY: webhooks: expected/,
    );
  });

  it("reports every bad variable at once", () => {
    const problems = problemsOf({
      DATABASE_URL: "mysql://localhost/x",
      LOG_LEVEL: "loud",
      WORKER_TYPE: "everything",
      MIGRATE_ON_START: "maybe",
    });
    expect(problems.map((problem) => problem.split(":")[0]).sort()).toEqual([
      "DATABASE_URL",
      "LOG_LEVEL",
      "MIGRATE_ON_START",
      "WORKER_TYPE",
    ]);
    expect(problems.find((p) => p.startsWith("DATABASE_URL"))).toContain("postgres://");
  });
});
