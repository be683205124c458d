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
    .select("started_at")
    .where("agent_id", "=", agent.id)
    .where("started_at", ">", startedAt)
    .orderBy("started_at")
    .limit(1)
    .executeTakeFirst();
  if (later) {
    // A wrap-up learnt late (its call's end applied after the agent's next change) ends there.
    if (change.state === "wrap_up" && change.callId != null) {
      await sql`
        update calls set wrap_up_seconds = greatest(0,
          round(extract(epoch from ${later.started_at}::timestamptz - ${startedAt}::timestamptz)))::int
        where id = ${change.callId} and wrap_up_seconds is null`.execute(trx);
    }
    return { recorded: true, status: agent.status };
  }
  await trx
    .updateTable("agents")
    .set({ status: change.state })
    .where("id", "=", agent.id)
    .execute();
  return { recorded: true, status: change.state };
}

/**
 * An agent busy on a call when it ended goes to wrap-up from the call's end — also when the end
 * is applied after the agent's next change (their desk said available after wrapping up), which
 * then ends the wrap-up. An agent who had moved on before the call ended (set available or
 * offline by hand mid-call) is left as they are. An end stamped before the answer (Twilio's
 * whole-second Timestamp, another clock) starts the wrap-up just after the answer.
 */
export async function startWrapUp(
  trx: Transaction<Database>,
  call: { id: number; agentId: number; endedAt: Date },
) {
  const busy = await trx
    .selectFrom("agent_state_events")
    .select("started_at")
    .where("agent_id", "=", call.agentId)
    .where("state", "=", "busy")
    .where("call_id", "=", call.id)
    .orderBy("started_at")
    .limit(1)
    .executeTakeFirst();
  if (!busy) return;
  const startedAt =
    call.endedAt > busy.started_at ? call.endedAt : new Date(busy.started_at.getTime() + 1);
  const next = await trx
    .selectFrom("agent_state_events")
    .select("started_at")
    .where("agent_id", "=", call.agentId)
    .where("started_at", ">", busy.started_at)
    .orderBy("started_at")
    .limit(1)
    .executeTakeFirst();
  if (next && next.started_at <= startedAt) return;
  await recordAgentState(trx, {
    agentId: call.agentId,
    state: "wrap_up",
    startedAt,
    callId: call.id,
  });
}
