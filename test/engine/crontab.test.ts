import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadCrontab } from "../../src/engine/crontab.ts";
import { TaskRegistry } from "../../src/engine/registry.ts";
import { tasks } from "../../tasks/index.ts";

const registry = new TaskRegistry(tasks);

describe("loadCrontab", () => {
  it("reads the repository's crontab: every task known, report times in REPORT_TIMEZONE", async () => {
    const entries = await loadCrontab("crontab", registry, { localTimeZone: "Europe/Berlin" });
    const zones = Object.fromEntries(entries.map((entry) => [entry.task, entry.timeZone]));
    expect(zones).toMatchObject({
      generate_daily_report: "Europe/Berlin",
      generate_weekly_report: "Europe/Berlin",
      generate_monthly_report: "Europe/Berlin",
      archive_old_recordings: "Europe/Berlin",
      calculate_hourly_metrics: "Europe/Berlin",
      system_health_check: "UTC",
      process_pending_recordings: "UTC",
    });
    expect(entries.map((entry) => entry.task)).not.toContain("cleanup_old_call_logs");
  });

  it("names the file and the task of a line no task answers, and reads a missing file as empty", async () => {
    const dir = await mkdtemp(join(tmpdir(), "crontab-"));
    const file = join(dir, "crontab");
    await writeFile(file, "0 1 * * * cleanup_old_call_logs ?tz=local\n");
    await expect(loadCrontab(file, registry)).rejects.toThrow(
      `${file}: unknown task "cleanup_old_call_logs"`,
    );
    expect(await loadCrontab(join(dir, "absent"), registry)).toEqual([]);
  });
});
