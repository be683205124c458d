import { beforeAll, describe, expect, it } from "vitest";
import { refreshAgentToday } from "../../src/analytics/periodicRefresh.ts";
import type { CallCenterServices } from "../../src/callCenter/services.ts";
import { runTask } from "../../src/testing/runTask.ts";
import updateAllAgentMetrics from "../../tasks/update_all_agent_metrics.ts";
import { insertDataSet, timeZone } from "../analytics/dataset.ts";
import { testDb } from "../support/database.ts";
import { startTestServices } from "../support/services.ts";

const db = () => testDb().db;
let services: CallCenterServices;

beforeAll(async () => {
  const started = await startTestServices();
  services = { ...started.services, reporting: { ...started.services.reporting, timeZone } };
  await insertDataSet(db());
});

const agentDays = () =>
  db()
    .selectFrom("agent_days")
    .select(["agent_id", "local_day", "handled", "logged_in_seconds"])
    .where("time_zone", "=", timeZone)
    .orderBy("day_start")
    .orderBy("agent_id")
    .execute();

describe("update_all_agent_metrics", () => {
  it("rolls up every agent's local day `date`", async () => {
    const { result } = await runTask(
      db(),
      updateAllAgentMetrics,
      { date: "2026-03-08" },
      { services },
    );
    expect(result).toEqual({ days: ["2026-03-08"], agentDays: 2 });
    expect((await agentDays()).map((row) => [row.handled, row.logged_in_seconds])).toEqual([
      [2, 7200],
      [2, 3600],
    ]);
  });

  it("rolls up yesterday too in the first local hour after midnight, and not later", async () => {
    expect(
      await refreshAgentToday(db(), { timeZone, now: new Date("2026-03-09T04:20:00Z") }),
    ).toEqual({ days: ["2026-03-08", "2026-03-09"], agentDays: 3 });
    expect(
      await refreshAgentToday(db(), { timeZone, now: new Date("2026-03-09T05:00:00Z") }),
    ).toEqual({ days: ["2026-03-09"], agentDays: 1 });
  });

  it("refuses a date that is not one, naming the field", () => {
    const parsed = updateAllAgentMetrics.payload.safeParse({ date: "2026-02-30" });
    expect(parsed.error?.issues[0]?.message).toBe("date must be a calendar date as YYYY-MM-DD");
  });
});
