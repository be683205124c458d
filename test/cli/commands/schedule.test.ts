import { describe, expect, it } from "vitest";
import { runCli } from "../../support/cli.ts";
import { testDatabaseUrl } from "../../support/database.ts";

const env = (extra: Record<string, string> = {}) => ({
  DATABASE_URL: testDatabaseUrl(),
  LOG_LEVEL: "silent",
  REPORT_TIMEZONE: "America/New_York",
  ...extra,
});

describe("switchboard schedule", () => {
  it("prints the crontab's entries as JSON with --json", async () => {
    const result = await runCli(["schedule", "--json"], env());
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const { entries } = JSON.parse(result.stdout) as {
      entries: { task: string; time_zone: string; next_run: { local: string } }[];
    };
    const daily = entries.find((entry) => entry.task === "generate_daily_report");
    expect(daily?.time_zone).toBe("America/New_York");
    expect(daily?.next_run.local).toMatch(/T0[23]:00:00-0[45]:00$/);
    expect(entries.find((entry) => entry.task === "system_health_check")?.time_zone).toBe("UTC");
    expect(entries.length).toBeGreaterThanOrEqual(13);
  });

  it("prints an aligned table", async () => {
    const result = await runCli(["schedule"], env());
    expect(result.code).toBe(0);
    const lines = result.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^TASK\s+SCHEDULE\s+TIME ZONE\s+NEXT RUN \(LOCAL\)/);
    const column = lines[0]?.indexOf("SCHEDULE") ?? -1;
    const daily = lines.find((line) => line.startsWith("generate_daily_report "));
    expect(daily?.slice(column, column + 9)).toBe("0 2 * * *");
    expect(daily).toContain("America/New_York");
    expect(daily).toMatch(/never\s+-\s+-$/);
    for (const line of lines.slice(1)) expect(line[column - 1]).toBe(" ");
  });

  it("refuses a bad REPORT_TIMEZONE, naming the variable", async () => {
    const result = await runCli(["schedule"], env({ REPORT_TIMEZONE: "Mars/Olympus" }));
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("REPORT_TIMEZONE");
    expect(result.stdout).toBe("");
  });
});
