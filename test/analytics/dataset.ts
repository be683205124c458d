/**
 * A small hand-built call-center data set around the DST days of America/New_York (2026-03-08
 * springs forward: 23 hours; 2026-11-01 falls back: 25 hours), written straight into the tables.
 * Every expected figure in test/analytics/ is worked out by hand from these rows.
 */
import type { Db } from "../../src/database/pool.ts";
import type { AgentState, CallOutcome } from "../../src/database/schema.ts";

export const timeZone = "America/New_York";

export interface InboundCall {
  callQueueId: number;
  /** When the caller entered the call queue (UTC, ISO). */
  at: string;
  wait: number | null;
  answered?: boolean;
  agentId?: number | null;
  talk?: number;
  hold?: number;
  wrap?: number;
  /** Default: completed when answered, abandoned otherwise; null: still live. */
  outcome?: CallOutcome | null;
}

export async function insertInbound(db: Db, call: InboundCall): Promise<number> {
  const enqueuedAt = new Date(call.at);
  const answeredAt =
    call.answered && call.wait !== null ? new Date(enqueuedAt.getTime() + call.wait * 1000) : null;
  const outcome =
    call.outcome === undefined ? (call.answered ? "completed" : "abandoned") : call.outcome;
  const endedAt =
    outcome === null
      ? null
      : answeredAt
        ? new Date(answeredAt.getTime() + ((call.talk ?? 0) + (call.hold ?? 0)) * 1000)
        : new Date(enqueuedAt.getTime() + (call.wait ?? 0) * 1000);
  const row = await db
    .insertInto("calls")
    .values({
      direction: "inbound",
      from_number: "+15550100001",
      to_number: "+15550109999",
      status: outcome === null ? "in-progress" : "completed",
      call_queue_id: call.callQueueId,
      agent_id: call.answered ? (call.agentId ?? null) : null,
      created_at: enqueuedAt,
      enqueued_at: enqueuedAt,
      answered_at: answeredAt,
      ended_at: endedAt,
      queue_result: outcome === null ? null : call.answered ? "bridged" : "hangup",
      wait_seconds: call.wait,
      talk_seconds: call.answered ? (call.talk ?? 0) : null,
      hold_seconds: call.answered ? (call.hold ?? 0) : 0,
      wrap_up_seconds: call.answered ? (call.wrap ?? 0) : null,
      outcome,
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  return Number(row.id);
}

export async function insertOutbound(
  db: Db,
  call: { campaignId: number | null; at: string; outcome: CallOutcome | null },
): Promise<number> {
  const at = new Date(call.at);
  const row = await db
    .insertInto("calls")
    .values({
      direction: "outbound-api",
      from_number: "+15550900001",
      to_number: "+15550100002",
      status: call.outcome === null ? "ringing" : "completed",
      campaign_id: call.campaignId,
      created_at: at,
      dialed_at: at,
      outcome: call.outcome,
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  return Number(row.id);
}

export async function insertStates(
  db: Db,
  agentId: number,
  events: [at: string, state: AgentState, callId?: number][],
) {
  await db
    .insertInto("agent_state_events")
    .values(
      events.map(([at, state, callId]) => ({
        agent_id: agentId,
        state,
        started_at: new Date(at),
        call_id: callId ?? null,
      })),
    )
    .execute();
}

export interface DataSet {
  sales: number;
  support: number;
  agentA: number;
  agentB: number;
  idleAgent: number;
  calls: Record<string, number>;
}

/**
 * Sales keeps the default service-level threshold (20 s), Support sets 30 s. On 2026-03-08
 * (local): c1 00:10 EST, c2 01:50 EST, c3–c5 and c6 in 03:00 EDT, c8 still waiting at 08:00,
 * c7 at 23:30; c10 is the last minute of 2026-03-07, c9 the first hour of 2026-03-09. On
 * 2026-11-01, d1 and d2 fall in the first and the second 01:00 hour.
 */
export async function insertDataSet(db: Db): Promise<DataSet> {
  const [sales, support] = await db
    .insertInto("call_queues")
    .values([
      { name: "Sales", service_level_seconds: null },
      { name: "Support", service_level_seconds: 30 },
    ])
    .returning("id")
    .execute();
  const [agentA, agentB, idleAgent] = await db
    .insertInto("agents")
    .values([{ name: "Ada" }, { name: "Ben" }, { name: "Cy" }])
    .returning("id")
    .execute();
  const s = Number(sales?.id);
  const q = Number(support?.id);
  const a = Number(agentA?.id);
  const b = Number(agentB?.id);
  const calls: Record<string, number> = {};
  const add = async (name: string, call: InboundCall) => {
    calls[name] = await insertInbound(db, call);
  };
  await add("c1", {
    callQueueId: s,
    at: "2026-03-08T05:10:00Z",
    wait: 10,
    answered: true,
    agentId: a,
    talk: 100,
    hold: 20,
    wrap: 30,
  });
  await add("c2", {
    callQueueId: s,
    at: "2026-03-08T06:50:00Z",
    wait: 25,
    answered: true,
    agentId: a,
    talk: 200,
    hold: 0,
    wrap: 10,
  });
  await add("c3", { callQueueId: s, at: "2026-03-08T07:05:00Z", wait: 3 });
  await add("c4", { callQueueId: s, at: "2026-03-08T07:20:00Z", wait: 40 });
  await add("c5", {
    callQueueId: s,
    at: "2026-03-08T07:40:00Z",
    wait: 20,
    answered: true,
    agentId: b,
    talk: 60,
  });
  await add("c6", {
    callQueueId: q,
    at: "2026-03-08T07:30:00Z",
    wait: 25,
    answered: true,
    agentId: b,
    talk: 50,
    hold: 10,
    wrap: 20,
  });
  await add("c7", { callQueueId: q, at: "2026-03-09T03:30:00Z", wait: 5 });
  await add("c8", { callQueueId: q, at: "2026-03-08T12:00:00Z", wait: null, outcome: null });
  await add("c9", {
    callQueueId: s,
    at: "2026-03-09T04:10:00Z",
    wait: 5,
    answered: true,
    agentId: b,
    talk: 10,
  });
  await add("c10", {
    callQueueId: s,
    at: "2026-03-08T04:59:00Z",
    wait: 0,
    answered: true,
    agentId: a,
    talk: 30,
  });
  await add("d1", {
    callQueueId: s,
    at: "2026-11-01T05:30:00Z",
    wait: 10,
    answered: true,
    agentId: a,
    talk: 100,
  });
  await add("d2", {
    callQueueId: s,
    at: "2026-11-01T06:30:00Z",
    wait: 30,
    answered: true,
    agentId: a,
    talk: 50,
  });

  await insertStates(db, a, [
    ["2026-03-08T04:00:00Z", "available"],
    ["2026-03-08T05:30:00Z", "busy", calls.c1],
    ["2026-03-08T05:40:00Z", "wrap_up", calls.c1],
    ["2026-03-08T05:45:00Z", "available"],
    ["2026-03-08T06:00:00Z", "busy"],
    ["2026-03-08T06:30:00Z", "available"],
    ["2026-03-08T07:00:00Z", "offline"],
  ]);
  await insertStates(db, b, [
    ["2026-03-09T03:00:00Z", "available"],
    ["2026-03-09T03:30:00Z", "busy", calls.c6],
    ["2026-03-09T04:30:00Z", "wrap_up", calls.c6],
    ["2026-03-09T04:40:00Z", "offline"],
  ]);
  return { sales: s, support: q, agentA: a, agentB: b, idleAgent: Number(idleAgent?.id), calls };
}
