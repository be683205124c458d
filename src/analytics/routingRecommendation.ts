/**
 * Turns each call queue's staffing (agents serving it now, agents it needs) into moves: agents a
 * call queue has beyond its need (a surplus) go to call queues short of theirs (a deficit), the
 * largest deficit served first from the largest surplus; what no surplus covers is agents to add.
 * A call queue keeps exactly what it needs after giving agents away, so it still meets its target.
 *
 * @example
 * recommendRouting([
 *   { callQueueId: 1, callQueueName: "Billing", agentsServing: 6, agentsNeeded: 4 },
 *   { callQueueId: 2, callQueueName: "Support", agentsServing: 3, agentsNeeded: 5 },
 * ]).summary; // "move 2 agents from Billing to Support"
 */

export interface CallQueueStaffing {
  callQueueId: number;
  callQueueName: string;
  agentsServing: number;
  /** null: unknown (no handle time to compute it from); such a call queue neither gives nor takes. */
  agentsNeeded: number | null;
}

export interface AgentMove {
  fromCallQueueId: number;
  fromCallQueueName: string;
  toCallQueueId: number;
  toCallQueueName: string;
  agents: number;
}

export interface AgentAddition {
  callQueueId: number;
  callQueueName: string;
  agents: number;
}

export interface RoutingRecommendation {
  moves: AgentMove[];
  additions: AgentAddition[];
  /** Agents each call queue has once the moves and additions are made, by call queue id. */
  recommendedAgents: Map<number, number>;
  /** The recommendation in words, e.g. "move 2 agents from Billing to Support; add 1 agent to Sales". */
  summary: string;
}

interface Balance {
  queue: CallQueueStaffing;
  agents: number;
}

export function recommendRouting(staffing: readonly CallQueueStaffing[]): RoutingRecommendation {
  const surpluses: Balance[] = [];
  const deficits: Balance[] = [];
  for (const queue of staffing) {
    requireCount(`agentsServing of call queue ${queue.callQueueId}`, queue.agentsServing);
    if (queue.agentsNeeded === null) continue;
    requireCount(`agentsNeeded of call queue ${queue.callQueueId}`, queue.agentsNeeded);
    const balance = queue.agentsServing - queue.agentsNeeded;
    if (balance > 0) surpluses.push({ queue, agents: balance });
    if (balance < 0) deficits.push({ queue, agents: -balance });
  }
  const largestFirst = (a: Balance, b: Balance) =>
    b.agents - a.agents || a.queue.callQueueId - b.queue.callQueueId;
  deficits.sort(largestFirst);

  const moves: AgentMove[] = [];
  const additions: AgentAddition[] = [];
  const recommendedAgents = new Map(staffing.map((q) => [q.callQueueId, q.agentsServing]));
  const change = (queue: CallQueueStaffing, agents: number) =>
    recommendedAgents.set(
      queue.callQueueId,
      (recommendedAgents.get(queue.callQueueId) ?? 0) + agents,
    );

  for (const deficit of deficits) {
    while (deficit.agents > 0) {
      surpluses.sort(largestFirst);
      const surplus = surpluses[0];
      if (!surplus || surplus.agents === 0) break;
      const agents = Math.min(surplus.agents, deficit.agents);
      moves.push({
        fromCallQueueId: surplus.queue.callQueueId,
        fromCallQueueName: surplus.queue.callQueueName,
        toCallQueueId: deficit.queue.callQueueId,
        toCallQueueName: deficit.queue.callQueueName,
        agents,
      });
      surplus.agents -= agents;
      deficit.agents -= agents;
      change(surplus.queue, -agents);
      change(deficit.queue, agents);
    }
    if (deficit.agents > 0) {
      additions.push({
        callQueueId: deficit.queue.callQueueId,
        callQueueName: deficit.queue.callQueueName,
        agents: deficit.agents,
      });
      change(deficit.queue, deficit.agents);
    }
  }
  return { moves, additions, recommendedAgents, summary: summarize(moves, additions) };
}

function summarize(moves: AgentMove[], additions: AgentAddition[]): string {
  const parts = [
    ...moves.map(
      (m) => `move ${agentCount(m.agents)} from ${m.fromCallQueueName} to ${m.toCallQueueName}`,
    ),
    ...additions.map((a) => `add ${agentCount(a.agents)} to ${a.callQueueName}`),
  ];
  return parts.length > 0 ? parts.join("; ") : "no change: every call queue meets its target";
}

function agentCount(agents: number): string {
  return `${agents} agent${agents === 1 ? "" : "s"}`;
}

function requireCount(name: string, value: number) {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`${name} must be a whole number of at least 0, got ${value}`);
  }
}
