/**
 * A hand-built half hour of two call queues' calls, for routing's tests. Window
 * [10:00, 10:30) UTC on 2026-12-01:
 * - Support: 100 callers — 98 answered and ended with 150 s talk + 10 s hold + 20 s wrap-up
 *   (180 s), 1 abandoned, 1 answered and still talking — so 200 an hour at 180 s: 10 Erlangs.
 *   Answered by agents s1–s10; s11 answered 3 but went offline before 10:30; s1 went offline
 *   only after 10:30 (its current status is offline, its state at 10:30 is not).
 * - Billing: 10 callers, all answered, 170 s talk + 10 s wrap-up (180 s): 1 Erlang. Answered by
 *   b13–b16 and by m12, who also answered one Support call and so serves Billing, where they
 *   answered more; b17 answered one but is offline (no state event, status offline).
 * - Sales: no calls.
 * Outside the window or not inbound, never counted: a Support call at 09:59:59, one at 10:30:00,
 * an outbound call of Support's, a Billing call enqueued at 09:58 though created later.
 */
import type { Insertable } from "kysely";
import type { Db } from "../../src/database/pool.ts";
import type { CallTable } from "../../src/database/schema.ts";

export const WINDOW_START = new Date("2026-12-01T10:00:00Z");
export const WINDOW_END = new Date("2026-12-01T10:30:00Z");

const at = (secondsFromStart: number) => new Date(WINDOW_START.getTime() + secondsFromStart * 1000);

export interface CallQueueTraffic {
  billing: number;
  support: number;
  sales: number;
  /** Agent ids by name: s1–s11, m12, b13–b17. */
  agents: Record<string, number>;
}

export async function clearCallQueueTraffic(db: Db) {
  await db.deleteFrom("routing_recommendations").execute();
  await db.deleteFrom("agent_state_events").execute();
  await db.deleteFrom("calls").execute();
  await db.deleteFrom("agents").execute();
  await db.deleteFrom("call_queues").execute();
}

export async function insertCallQueueTraffic(db: Db): Promise<CallQueueTraffic> {
  const queues = await db
    .insertInto("call_queues")
    .values([{ name: "Billing" }, { name: "Support" }, { name: "Sales" }])
    .returning(["id", "name"])
    .execute();
  const queueId = (name: string) => queues.find((q) => q.name === name)?.id as number;
  const [billing, support, sales] = [queueId("Billing"), queueId("Support"), queueId("Sales")];

  const names = [
    ...Array.from({ length: 11 }, (_, i) => `s${i + 1}`),
    "m12",
    ...Array.from({ length: 5 }, (_, i) => `b${i + 13}`),
  ];
  const rows = await db
    .insertInto("agents")
    .values(
      names.map((name) => ({
        name,
        status: name === "b17" || name === "s1" || name === "s11" ? "offline" : "available",
      })),
    )
    .returning(["id", "name"])
    .execute();
  const agents = Object.fromEntries(rows.map((row) => [row.name, row.id])) as Record<
    string,
    number
  >;
  const agent = (name: string) => agents[name] as number;
  await db
    .insertInto("agent_state_events")
    .values([
      { agent_id: agent("s1"), state: "available", started_at: at(-3600) },
      { agent_id: agent("s1"), state: "offline", started_at: at(1800 + 60) },
      { agent_id: agent("s11"), state: "available", started_at: at(-3600) },
      { agent_id: agent("s11"), state: "offline", started_at: at(1800 - 300) },
    ])
    .execute();

  const answered = (
    callQueueId: number,
    agentName: string,
    enqueuedAt: Date,
    phases: { talk: number; hold: number; wrapUp: number },
  ): Insertable<CallTable> => ({
    direction: "inbound",
    from_number: "+15550001000",
    to_number: "+15550002000",
    status: "completed",
    call_queue_id: callQueueId,
    agent_id: agent(agentName),
    created_at: enqueuedAt,
    enqueued_at: enqueuedAt,
    answered_at: new Date(enqueuedAt.getTime() + 5000),
    ended_at: new Date(enqueuedAt.getTime() + 5000 + phases.talk * 1000),
    wait_seconds: 5,
    talk_seconds: phases.talk,
    hold_seconds: phases.hold,
    wrap_up_seconds: phases.wrapUp,
    outcome: "completed",
  });
  const supportCall = { talk: 150, hold: 10, wrapUp: 20 };
  const billingCall = { talk: 170, hold: 0, wrapUp: 10 };

  const calls: Insertable<CallTable>[] = [];
  // Support: 98 answered and ended; s11 took 3, m12 1, s1–s10 the other 94.
  for (let i = 0; i < 98; i++) {
    const name = i < 3 ? "s11" : i === 3 ? "m12" : `s${(i % 10) + 1}`;
    calls.push(answered(support, name, at(i * 15), supportCall));
  }
  calls.push({
    direction: "inbound",
    from_number: "+15550001000",
    to_number: "+15550002000",
    status: "completed",
    call_queue_id: support,
    created_at: at(98 * 15),
    enqueued_at: at(98 * 15),
    ended_at: at(98 * 15 + 40),
    wait_seconds: 40,
    queue_result: "hangup",
    outcome: "abandoned",
  });
  calls.push({
    ...answered(support, "s1", at(99 * 15), supportCall),
    status: "in-progress",
    ended_at: null,
    talk_seconds: null,
    wrap_up_seconds: null,
    outcome: null,
  });
  // Billing: m12 took 2; b13, b14, b15 2 each; b16 and b17 1 each.
  const billingAgents = ["m12", "m12", "b13", "b13", "b14", "b14", "b15", "b15", "b16", "b17"];
  billingAgents.forEach((name, i) => {
    calls.push(answered(billing, name, at(60 + i * 120), billingCall));
  });
  // Of Billing's calls, one was never enqueued (its creation is its report time), and one was
  // created before the window but entered the call queue in it.
  const neverEnqueued = calls.at(-1) as Insertable<CallTable>;
  neverEnqueued.enqueued_at = null;
  const enqueuedLater = calls.at(-2) as Insertable<CallTable>;
  enqueuedLater.created_at = at(-600);

  // Never counted.
  calls.push(answered(support, "s2", at(-1), supportCall));
  calls.push(answered(support, "s2", WINDOW_END, supportCall));
  calls.push({ ...answered(support, "s3", at(300), supportCall), direction: "outbound-api" });
  calls.push({ ...answered(billing, "b16", at(-120), billingCall), created_at: at(60) });

  await db.insertInto("calls").values(calls).execute();
  return { billing, support, sales, agents };
}
