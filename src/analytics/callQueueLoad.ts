/**
 * Each call queue's load over a recent window, what staffing it with Erlang C starts from:
 * - offered: inbound calls of the call queue whose report time, coalesce(enqueued_at,
 *   created_at), falls in the window [from, to) — every caller who entered it, answered or not;
 * - handle seconds: talk + hold + wrap-up of those answered and ended (a wrap-up still running
 *   counts 0), and how many calls they are;
 * - agents serving: the agents who answered calls of the window and were not offline at `to`
 *   (their latest state event up to `to`, else their current status). An agent who answered in
 *   several call queues serves the one where they answered most (ties: the latest answer, then
 *   the lowest call queue id), so no agent is counted twice.
 * Every call queue is listed, with zeros when the window holds none of its calls.
 */
import { sql } from "kysely";
import type { Db } from "../database/pool.ts";

export interface CallQueueLoadWindow {
  /** Inclusive. */
  from: Date;
  /** Exclusive. */
  to: Date;
}

export interface CallQueueLoad {
  callQueueId: number;
  callQueueName: string;
  offered: number;
  answered: number;
  /** Answered calls that have ended: the ones `handleSeconds` sums. */
  handled: number;
  handleSeconds: number;
  /** The agents serving the call queue, ascending. */
  agentIds: number[];
}

export async function callQueueLoad(db: Db, window: CallQueueLoadWindow): Promise<CallQueueLoad[]> {
  const { from, to } = window;
  const reportTime = sql<Date>`coalesce(c.enqueued_at, c.created_at)`;
  const endedAnswer = sql<boolean>`c.answered_at is not null and c.talk_seconds is not null`;

  const figures = await db
    .selectFrom("call_queues as q")
    .leftJoin("calls as c", (join) =>
      join
        .onRef("c.call_queue_id", "=", "q.id")
        .on("c.direction", "=", "inbound")
        .on(reportTime, ">=", from)
        .on(reportTime, "<", to),
    )
    .select((eb) => [
      "q.id",
      "q.name",
      eb.fn.count<number>("c.id").as("offered"),
      eb.fn.count<number>("c.id").filterWhere("c.answered_at", "is not", null).as("answered"),
      eb.fn.count<number>("c.id").filterWhere(endedAnswer).as("handled"),
      eb.fn
        .coalesce(
          eb.fn
            .sum<number>(sql`c.talk_seconds + c.hold_seconds + coalesce(c.wrap_up_seconds, 0)`)
            .filterWhere(endedAnswer),
          eb.lit(0),
        )
        .as("handle_seconds"),
    ])
    .groupBy("q.id")
    .orderBy("q.id")
    .execute();

  const serving = await db
    .selectFrom("calls as c")
    .innerJoin("agents as a", "a.id", "c.agent_id")
    .distinctOn("c.agent_id")
    .select(["c.agent_id", "c.call_queue_id"])
    .where("c.direction", "=", "inbound")
    .where("c.call_queue_id", "is not", null)
    .where("c.answered_at", "is not", null)
    .where(reportTime, ">=", from)
    .where(reportTime, "<", to)
    .where((eb) =>
      eb(
        eb.fn.coalesce(
          eb
            .selectFrom("agent_state_events as e")
            .select("e.state")
            .whereRef("e.agent_id", "=", "a.id")
            .where("e.started_at", "<=", to)
            .orderBy("e.started_at", "desc")
            .limit(1),
          "a.status",
        ),
        "<>",
        "offline",
      ),
    )
    .groupBy(["c.agent_id", "c.call_queue_id"])
    .orderBy("c.agent_id")
    .orderBy((eb) => eb.fn.countAll(), "desc")
    .orderBy((eb) => eb.fn.max("c.answered_at"), "desc")
    .orderBy("c.call_queue_id")
    .execute();

  const agentsByCallQueue = new Map<number, number[]>();
  for (const { agent_id, call_queue_id } of serving) {
    if (agent_id === null || call_queue_id === null) continue;
    const agents = agentsByCallQueue.get(call_queue_id) ?? [];
    agents.push(agent_id);
    agentsByCallQueue.set(call_queue_id, agents);
  }
  return figures.map((row) => ({
    callQueueId: row.id,
    callQueueName: row.name,
    offered: row.offered,
    answered: row.answered,
    handled: row.handled,
    handleSeconds: Number(row.handle_seconds),
    agentIds: agentsByCallQueue.get(row.id) ?? [],
  }));
}
