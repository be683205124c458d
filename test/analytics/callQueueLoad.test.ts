import { beforeEach, describe, expect, it } from "vitest";
import { callQueueLoad } from "../../src/analytics/callQueueLoad.ts";
import {
  clearCallQueueTraffic,
  insertCallQueueTraffic,
  WINDOW_END,
  WINDOW_START,
} from "../support/callQueueTraffic.ts";
import { testDb } from "../support/database.ts";

const db = () => testDb().db;

beforeEach(async () => {
  await clearCallQueueTraffic(db());
});

describe("callQueueLoad", () => {
  it("counts each call queue's callers, handle time and serving agents of the window", async () => {
    const { billing, support, sales, agents } = await insertCallQueueTraffic(db());
    const loads = await callQueueLoad(db(), { from: WINDOW_START, to: WINDOW_END });
    const ids = (...names: string[]) => names.map((name) => agents[name]);
    expect(loads).toEqual([
      {
        callQueueId: billing,
        callQueueName: "Billing",
        offered: 10,
        answered: 10,
        handled: 10,
        handleSeconds: 1800,
        agentIds: ids("m12", "b13", "b14", "b15", "b16"),
      },
      {
        callQueueId: support,
        callQueueName: "Support",
        offered: 100,
        answered: 99,
        handled: 98,
        handleSeconds: 98 * 180,
        agentIds: ids("s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10"),
      },
      {
        callQueueId: sales,
        callQueueName: "Sales",
        offered: 0,
        answered: 0,
        handled: 0,
        handleSeconds: 0,
        agentIds: [],
      },
    ]);
  });

  it("counts a wrap-up still running as no wrap-up, and reads states as of the window's end", async () => {
    const { support, agents } = await insertCallQueueTraffic(db());
    await db()
      .updateTable("calls")
      .set({ wrap_up_seconds: null })
      .where("call_queue_id", "=", support)
      .where("agent_id", "=", agents.s2 as number)
      .where("talk_seconds", "is not", null)
      .execute();
    // Ten minutes earlier, s11 was still available and s1 too.
    const earlier = new Date(WINDOW_END.getTime() - 10 * 60_000);
    const loads = await callQueueLoad(db(), { from: WINDOW_START, to: earlier });
    const supportLoad = loads.find((load) => load.callQueueId === support);
    const s2Calls = await db()
      .selectFrom("calls")
      .select((eb) => eb.fn.countAll<number>().as("count"))
      .where("agent_id", "=", agents.s2 as number)
      .where("enqueued_at", ">=", WINDOW_START)
      .where("enqueued_at", "<", earlier)
      .where("talk_seconds", "is not", null)
      .executeTakeFirstOrThrow();
    // Calls every 15 s from 10:00: 80 before 10:20, the first 3 by s11 and the 4th by m12.
    expect(supportLoad?.offered).toBe(80);
    expect(supportLoad?.handled).toBe(80);
    expect(supportLoad?.handleSeconds).toBe(80 * 180 - Number(s2Calls.count) * 20);
    expect(supportLoad?.agentIds).toContain(agents.s11);
    expect(supportLoad?.agentIds).toContain(agents.s1);
  });

  it("gives an agent who answered as often in two call queues to the one they answered last", async () => {
    const { billing, support, agents } = await insertCallQueueTraffic(db());
    // m12 answered 2 Billing calls and 1 Support call; two more Support calls late in the window
    // make it 3 Support to 2 Billing.
    const call = (callQueueId: number, secondsFromStart: number) => ({
      direction: "inbound" as const,
      from_number: "+15550001000",
      to_number: "+15550002000",
      call_queue_id: callQueueId,
      agent_id: agents.m12 as number,
      enqueued_at: new Date(WINDOW_START.getTime() + secondsFromStart * 1000),
      answered_at: new Date(WINDOW_START.getTime() + secondsFromStart * 1000 + 2000),
    });
    await db()
      .insertInto("calls")
      .values([call(support, 1700), call(support, 1750)])
      .execute();
    const servedBy = async () => {
      const loads = await callQueueLoad(db(), { from: WINDOW_START, to: WINDOW_END });
      return loads.find((load) => load.agentIds.includes(agents.m12 as number))?.callQueueId;
    };
    expect(await servedBy()).toBe(support);
    // 3 to 3, Support answered last.
    await db().insertInto("calls").values(call(billing, 30)).execute();
    expect(await servedBy()).toBe(support);
    // 4 to 4, Billing answered last.
    await db()
      .insertInto("calls")
      .values([call(support, 10), call(billing, 1790)])
      .execute();
    expect(await servedBy()).toBe(billing);
  });
});
