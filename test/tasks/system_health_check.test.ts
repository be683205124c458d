import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { CallCenterServices } from "../../src/callCenter/services.ts";
import { laneNames } from "../../src/engine/lanes.ts";
import { enqueuedList } from "../../src/testing/enqueuedList.ts";
import { runTask } from "../../src/testing/runTask.ts";
import systemHealthCheck from "../../tasks/system_health_check.ts";
import { breaker, quietSettings, resetAlertState, workerRow } from "../alerts/alertState.ts";
import { testDb } from "../support/database.ts";
import { startTestServices } from "../support/services.ts";

const db = () => testDb().db;
let services: CallCenterServices;

beforeAll(async () => {
  const started = await startTestServices();
  services = {
    ...started.services,
    alerts: quietSettings({ recipients: ["ops@example.com"], silentAfterMs: 3_600_000 }),
  };
});

beforeEach(async () => {
  await resetAlertState(db());
  await workerRow(db(), { type: "all", host: "test", lanes: [...laneNames] });
});

describe("system_health_check", () => {
  it("opens one alert and enqueues one send_email when five workers run it at once", async () => {
    await breaker(db(), "twilio", "open");
    const runs = await Promise.all(
      Array.from({ length: 5 }, () => runTask(db(), systemHealthCheck, {}, { services })),
    );
    const opened = runs.flatMap((run) => run.result.opened);
    expect(opened).toEqual([
      expect.objectContaining({ condition: "circuit_open", key: "twilio", mailed: true }),
    ]);
    for (const run of runs) {
      expect(run.result).toMatchObject({ firing: 1, resolved: [], renotified: [] });
      expect(run.result.backlog).toHaveProperty("waiting");
    }
    const mails = await enqueuedList(db(), "send_email");
    expect(mails.map((mail) => [mail.lane, (mail.payload as { subject: string }).subject])).toEqual(
      [["email", "[Switchboard] CRITICAL: circuit breaker twilio is open"]],
    );
    expect(await db().selectFrom("alerts").select("id").execute()).toHaveLength(1);

    await breaker(db(), "twilio", "closed");
    const { result } = await runTask(db(), systemHealthCheck, {}, { services });
    expect(result.resolved).toEqual([expect.objectContaining({ key: "twilio", mailed: true })]);
    expect(await enqueuedList(db(), "send_email")).toHaveLength(2);
  });

  it("records alerts and sends nothing without CRITICAL_ALERT_RECIPIENTS", async () => {
    await breaker(db(), "smtp", "open");
    const { result } = await runTask(
      db(),
      systemHealthCheck,
      {},
      {
        services: { ...services, alerts: { ...quietSettings(), silentAfterMs: 3_600_000 } },
      },
    );
    expect(result.opened).toEqual([expect.objectContaining({ key: "smtp", mailed: false })]);
    expect(await enqueuedList(db(), "send_email")).toEqual([]);
  });
});
