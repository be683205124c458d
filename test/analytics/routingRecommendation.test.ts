import { describe, expect, it } from "vitest";
import { recommendRouting } from "../../src/analytics/routingRecommendation.ts";

const queue = (callQueueId: number, agentsServing: number, agentsNeeded: number | null) => ({
  callQueueId,
  callQueueName: ["", "Billing", "Support", "Sales", "Claims", "Renewals"][callQueueId] as string,
  agentsServing,
  agentsNeeded,
});

describe("recommendRouting", () => {
  it("moves a surplus to a deficit", () => {
    const recommendation = recommendRouting([queue(1, 6, 4), queue(2, 3, 5)]);
    expect(recommendation.summary).toBe("move 2 agents from Billing to Support");
    expect(recommendation.moves).toEqual([
      {
        fromCallQueueId: 1,
        fromCallQueueName: "Billing",
        toCallQueueId: 2,
        toCallQueueName: "Support",
        agents: 2,
      },
    ]);
    expect(recommendation.additions).toEqual([]);
    expect([...recommendation.recommendedAgents]).toEqual([
      [1, 4],
      [2, 5],
    ]);
  });

  it("adds agents when no call queue has any to spare", () => {
    const recommendation = recommendRouting([queue(1, 4, 4), queue(2, 2, 3), queue(3, 0, 2)]);
    expect(recommendation.moves).toEqual([]);
    expect(recommendation.additions).toEqual([
      { callQueueId: 3, callQueueName: "Sales", agents: 2 },
      { callQueueId: 2, callQueueName: "Support", agents: 1 },
    ]);
    expect(recommendation.summary).toBe("add 2 agents to Sales; add 1 agent to Support");
    expect(recommendation.recommendedAgents.get(2)).toBe(3);
    expect(recommendation.recommendedAgents.get(3)).toBe(2);
  });

  it("serves the largest deficit first from the largest surplus, then adds what is left", () => {
    // Surpluses: Billing 3, Support 1. Deficits: Claims 3, Sales 2.
    const recommendation = recommendRouting([
      queue(1, 5, 2),
      queue(2, 4, 3),
      queue(3, 1, 3),
      queue(4, 2, 5),
      queue(5, 7, 7),
    ]);
    expect(
      recommendation.moves.map((m) => [m.fromCallQueueName, m.toCallQueueName, m.agents]),
    ).toEqual([
      ["Billing", "Claims", 3],
      ["Support", "Sales", 1],
    ]);
    expect(recommendation.additions).toEqual([
      { callQueueId: 3, callQueueName: "Sales", agents: 1 },
    ]);
    expect(recommendation.summary).toBe(
      "move 3 agents from Billing to Claims; move 1 agent from Support to Sales; add 1 agent to Sales",
    );
    expect(Object.fromEntries(recommendation.recommendedAgents)).toEqual({
      1: 2,
      2: 3,
      3: 3,
      4: 5,
      5: 7,
    });
  });

  it("splits one deficit over several surpluses, each giving no more than it has spare", () => {
    const recommendation = recommendRouting([queue(1, 3, 1), queue(2, 2, 1), queue(3, 0, 3)]);
    expect(recommendation.moves.map((m) => [m.fromCallQueueId, m.toCallQueueId, m.agents])).toEqual(
      [
        [1, 3, 2],
        [2, 3, 1],
      ],
    );
    expect(recommendation.additions).toEqual([]);
    expect(Object.fromEntries(recommendation.recommendedAgents)).toEqual({ 1: 1, 2: 1, 3: 3 });
  });

  it("leaves a call queue of unknown need as it is", () => {
    const recommendation = recommendRouting([queue(1, 5, null), queue(2, 1, 2)]);
    expect(recommendation.moves).toEqual([]);
    expect(recommendation.additions).toEqual([
      { callQueueId: 2, callQueueName: "Support", agents: 1 },
    ]);
    expect(recommendation.recommendedAgents.get(1)).toBe(5);
  });

  it("says so when every call queue is staffed", () => {
    const recommendation = recommendRouting([queue(1, 4, 4), queue(2, 3, 1)]);
    expect(recommendation.moves).toEqual([]);
    expect(recommendation.additions).toEqual([]);
    expect(recommendation.summary).toBe("no change: every call queue meets its target");
    expect(recommendRouting([]).summary).toBe("no change: every call queue meets its target");
  });

  it("refuses counts that are not whole numbers of at least 0", () => {
    expect(() => recommendRouting([queue(1, -1, 2)])).toThrow(/agentsServing of call queue 1/);
    expect(() => recommendRouting([queue(1, 1, 2.5)])).toThrow(/agentsNeeded of call queue 1/);
  });
});
