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
  const figures = await sql<{
    id: number;
    name: string;
    offered: number;
    answered: number;
    handled: number;
    handle_seconds: number;
  }>`
    select q.id, q.name,
      count(c.id)::int as offered,
      count(c.id) filter (where c.answered_at is not null)::int as answered,
      count(c.id) filter (where c.answered_at is not null and c.talk_seconds is not null)::int
        as handled,
      coalesce(sum(c.talk_seconds + c.hold_seconds + coalesce(c.wrap_up_seconds, 0))
        filter (where c.answered_at is not null and c.talk_seconds is not null), 0)::float8
        as handle_seconds
    from call_queues q
    left join calls c on c.call_queue_id = q.id and c.direction = 'inbound'
      and coalesce(c.enqueued_at, c.created_at) >= ${from}::timestamptz
      and coalesce(c.enqueued_at, c.created_at) < ${to}::timestamptz
    group by q.id
    order by q.id`.execute(db);

  const serving = await sql<{ agent_id: number; call_queue_id: number }>`
    select distinct on (c.agent_id) c.agent_id, c.call_queue_id
    from calls c
    join agents a on a.id = c.agent_id
    where c.direction = 'inbound' and c.call_queue_id is not null and c.answered_at is not null
      and coalesce(c.enqueued_at, c.created_at) >= ${from}::timestamptz
      and coalesce(c.enqueued_at, c.created_at) < ${to}::timestamptz
      and coalesce(
        (select e.state from agent_state_events e
          where e.agent_id = a.id and e.started_at <= ${to}::timestamptz
          order by e.started_at desc limit 1),
        a.status) <> 'offline'
    group by c.agent_id, c.call_queue_id
    order by c.agent_id, count(*) desc, max(c.answered_at) desc, c.call_queue_id`.execute(db);

  const agentsByCallQueue = new Map<number, number[]>();
  for (const row of serving.rows) {
    const agents = agentsByCallQueue.get(row.call_queue_id) ?? [];
    agents.push(row.agent_id);
    agentsByCallQueue.set(row.call_queue_id, agents);
  }
  return figures.rows.map((row) => ({
    callQueueId: row.id,
    callQueueName: row.name,
    offered: row.offered,
    answered: row.answered,
    handled: row.handled,
    handleSeconds: row.handle_seconds,
    agentIds: agentsByCallQueue.get(row.id) ?? [],
  }));
}
