/**
 * An agent's state over time: each change is a row of `agent_state_events` from when it holds
 * (the agent's next event ends it), and `agents.status` is the state of the latest event.
 * Recording is idempotent — an event at the same (agent, started_at) is kept once, and a state
 * the agent is already in at that time adds no event — so a repeated request changes nothing.
 * An event older than the latest is kept as history without changing `agents.status`.
 * Leaving wrap-up fills the wrap-up seconds of the call it was for.
 */
import { sql, type Transaction } from "kysely";
import type { AgentState, Database } from "../database/schema.ts";
import { databaseNow } from "../database/timestamps.ts";

export const agentStates = [
  "available",
  "busy",
  "wrap_up",
  "offline",
] as const satisfies readonly AgentState[];

export interface AgentStateChange {
  agentId: number;
  state: AgentState;
  /** When the state starts; now when omitted. */
  startedAt?: Date;
  /** The call that made the agent busy or put them in wrap-up. */
  callId?: number | null;
}

export interface RecordedAgentState {
  /** False when the change was a repeat or the agent was already in that state. */
  recorded: boolean;
  /** The agent's current state after the change. */
  status: AgentState;
}

/** Records one change of an agent's state; `undefined` for an unknown agent. */
export async function recordAgentState(
  trx: Transaction<Database>,
  change: AgentStateChange,
): Promise<RecordedAgentState | undefined> {
  const agent = await trx
    .selectFrom("agents")
    .select(["id", "status"])
    .where("id", "=", change.agentId)
    .forUpdate()
    .executeTakeFirst();
  if (!agent) return undefined;
  const startedAt = change.startedAt ?? (await databaseNow(trx));
  const previous = await trx
    .selectFrom("agent_state_events")
    .select(["state", "started_at", "call_id"])
    .where("agent_id", "=", agent.id)
    .where("started_at", "<=", startedAt)
    .orderBy("started_at", "desc")
    .limit(1)
    .executeTakeFirst();
  if (previous?.state === change.state && (previous.call_id ?? null) === (change.callId ?? null)) {
    return { recorded: false, status: agent.status };
  }
  const inserted = await trx
    .insertInto("agent_state_events")
    .values({
      agent_id: agent.id,
      state: change.state,
      started_at: startedAt,
      call_id: change.callId ?? null,
    })
    .onConflict((oc) => oc.columns(["agent_id", "started_at"]).doNothing())
    .returning("id")
    .executeTakeFirst();
  if (!inserted) return { recorded: false, status: agent.status };

  if (previous?.state === "wrap_up" && previous.call_id !== null) {
    await sql`
      update calls set wrap_up_seconds = greatest(0,
        round(extract(epoch from ${startedAt}::timestamptz - ${previous.started_at}::timestamptz)))::int
      where id = ${previous.call_id} and wrap_up_seconds is null`.execute(trx);
  }
  const later = await trx
    .selectFrom("agent_state_events")
    .select("id")
    .where("agent_id", "=", agent.id)
    .where("started_at", ">", startedAt)
    .limit(1)
    .executeTakeFirst();
  if (later) return { recorded: true, status: agent.status };
  await trx
    .updateTable("agents")
    .set({ status: change.state })
    .where("id", "=", agent.id)
    .execute();
  return { recorded: true, status: change.state };
}

/**
 * An agent busy on a call that has ended goes to wrap-up from the call's end; an agent who has
 * since moved on (set available or offline by hand) is left as they are.
 */
export async function startWrapUp(
  trx: Transaction<Database>,
  call: { id: number; agentId: number; endedAt: Date },
) {
  const latest = await trx
    .selectFrom("agent_state_events")
    .select(["state", "call_id"])
    .where("agent_id", "=", call.agentId)
    .orderBy("started_at", "desc")
    .limit(1)
    .executeTakeFirst();
  if (latest?.state !== "busy" || latest.call_id !== call.id) return;
  await recordAgentState(trx, {
    agentId: call.agentId,
    state: "wrap_up",
    startedAt: call.endedAt,
    callId: call.id,
  });
}
