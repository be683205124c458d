import { describe, expect, it } from "vitest";
import type { SimulatorLog } from "../../../src/twilio/simulator/eventLog.ts";
import { AGENT, useSimulator } from "../../support/simulatorHarness.ts";

const h = useSimulator({ timing: { stepMs: 10, talkMs: 100 } });

describe("the simulator's event log", () => {
  it("gives calls created per second and the most calls in progress at once", async () => {
    const numbers = Array.from({ length: 5 }, (_, i) => `+1555123450${i + 5}`);
    await Promise.all(
      numbers.map((to) => h.client.calls.create({ to, from: AGENT, twiml: "<Response/>" })),
    );
    await h.simulator.whenIdle();

    const log = h.simulator.eventLog();
    expect(log.calls.map((call) => call.to).sort()).toEqual(numbers);
    for (const call of log.calls) {
      expect(log.transitions.filter((t) => t.callSid === call.sid).map((t) => t.to)).toEqual([
        "initiated",
        "ringing",
        "in-progress",
        "completed",
      ]);
    }
    expect(log.stats).toEqual({
      callsCreated: 5,
      maxCallsCreatedPerSecond: 5,
      maxConcurrentCalls: 5,
      maxInProgress: 5,
    });
    expect(log.requests.filter((request) => request.method === "POST")).toHaveLength(5);
  });

  it("counts calls placed one after another as never overlapping", async () => {
    for (const to of ["+15551230001", "+15551230009"]) {
      await h.client.calls.create({ to: `${to}9`, from: AGENT, twiml: "<Response/>" });
      await h.simulator.whenIdle();
    }
    expect(h.simulator.stats()).toMatchObject({ callsCreated: 2, maxConcurrentCalls: 1 });
  });

  it("is served at /__simulator/log and emptied by reset", async () => {
    await h.client.calls.create({ to: "+15551234567", from: AGENT, twiml: "<Response/>" });
    const served = (await (
      await fetch(`${h.simulator.url}/__simulator/log`)
    ).json()) as SimulatorLog;
    expect(served.calls).toHaveLength(1);
    expect(served.stats.callsCreated).toBe(1);

    expect((await fetch(`${h.simulator.url}/__simulator/reset`, { method: "POST" })).status).toBe(
      204,
    );
    expect(h.simulator.eventLog()).toMatchObject({ calls: [], transitions: [], requests: [] });
    expect(await h.client.calls.list()).toEqual([]);
    await h.simulator.whenIdle(100);
  });
});
