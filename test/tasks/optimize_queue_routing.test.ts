import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { CallCenterServices } from "../../src/callCenter/services.ts";
import { enqueue } from "../../src/engine/enqueue.ts";
import { optimizeQueueRouting } from "../../src/routing/optimizeQueueRouting.ts";
import { runTask } from "../../src/testing/runTask.ts";
import optimizeQueueRoutingTask from "../../tasks/optimize_queue_routing.ts";
import {
  clearCallQueueTraffic,
  insertCallQueueTraffic,
  WINDOW_END,
  WINDOW_START,
} from "../support/callQueueTraffic.ts";
import { testDb } from "../support/database.ts";
import { textbookServiceLevel } from "../support/erlangCTextbook.ts";
import { startTestServices } from "../support/services.ts";

const db = () => testDb().db;
let services: CallCenterServices;

beforeAll(async () => {
  ({ services } = await startTestServices());
});

beforeEach(async () => {
  await clearCallQueueTraffic(db());
});

const figures = (recommendationId: number) =>
  db()
    .selectFrom("routing_recommendation_call_queues")
    .selectAll()
    .where("recommendation_id", "=", recommendationId)
    .orderBy("call_queue_id")
    .execute();

describe("optimize_queue_routing", () => {
  it("stores each call queue's Erlang C staffing and the moves that meet the target", async () => {
    const { billing, support, sales } = await insertCallQueueTraffic(db());
    const { result, execution } = await runTask(
      db(),
      optimizeQueueRoutingTask,
      { window_end: WINDOW_END.toISOString() },
      { services },
    );
    expect(execution.status).toBe("succeeded");

    const stored = await db()
      .selectFrom("routing_recommendations")
      .selectAll()
      .executeTakeFirstOrThrow();
    expect(stored).toMatchObject({
      window_start: WINDOW_START,
      window_end: WINDOW_END,
      service_level_seconds: 20,
      service_level_target: 0.8,
      execution_id: execution.public_id,
      // Support needs 14 (10 Erlangs, the classic example) and has 10; Billing needs 3 for its
      // 1 Erlang and has 5: its 2 spare go to Support, which still lacks 2.
      summary: "move 2 agents from Billing to Support; add 2 agents to Support",
      moves: [
        {
          from_call_queue_id: billing,
          from_call_queue_name: "Billing",
          to_call_queue_id: support,
          to_call_queue_name: "Support",
          agents: 2,
        },
      ],
      additions: [{ call_queue_id: support, call_queue_name: "Support", agents: 2 }],
    });

    // Billing's need, by the factorial formula: 2 agents fall short of 80% in 20 s, 3 reach it.
    expect(textbookServiceLevel(2, 1, 180, 20)).toBeLessThan(0.8);
    expect(textbookServiceLevel(3, 1, 180, 20)).toBeGreaterThanOrEqual(0.8);
    const rows = await figures(stored.id);
    expect(rows).toEqual([
      {
        recommendation_id: stored.id,
        call_queue_id: billing,
        service_level_seconds: 20,
        offered: 10,
        answered: 10,
        arrival_rate_per_hour: 20,
        average_handle_time_seconds: 180,
        traffic_erlangs: 1,
        agents_serving: 5,
        agents_needed: 3,
        agents_recommended: 3,
        service_level_current: expect.closeTo(textbookServiceLevel(5, 1, 180, 20), 10),
        service_level_recommended: expect.closeTo(textbookServiceLevel(3, 1, 180, 20), 10),
      },
      {
        recommendation_id: stored.id,
        call_queue_id: support,
        service_level_seconds: 20,
        offered: 100,
        answered: 99,
        arrival_rate_per_hour: 200,
        average_handle_time_seconds: 180,
        traffic_erlangs: 10,
        agents_serving: 10,
        agents_needed: 14,
        agents_recommended: 14,
        // 10 agents for 10 Erlangs: the line never empties.
        service_level_current: 0,
        service_level_recommended: expect.closeTo(0.888, 3),
      },
      {
        recommendation_id: stored.id,
        call_queue_id: sales,
        service_level_seconds: 20,
        offered: 0,
        answered: 0,
        arrival_rate_per_hour: 0,
        average_handle_time_seconds: null,
        traffic_erlangs: 0,
        agents_serving: 0,
        agents_needed: 0,
        agents_recommended: 0,
        service_level_current: null,
        service_level_recommended: null,
      },
    ]);
    // The task's result is the recommendation as the API shows it.
    expect(result).toMatchObject({
      id: stored.id,
      summary: stored.summary,
      window_end: WINDOW_END.toISOString(),
    });
    expect(result.call_queues.map((q) => q.call_queue_name)).toEqual([
      "Billing",
      "Support",
      "Sales",
    ]);
  });

  it("takes the threshold and target from its payload over the configured ones", async () => {
    const { support } = await insertCallQueueTraffic(db());
    const { result } = await runTask(
      db(),
      optimizeQueueRoutingTask,
      {
        window_end: WINDOW_END.toISOString(),
        service_level_seconds: 60,
        service_level_target: 0.9,
      },
      { services },
    );
    expect(result).toMatchObject({ service_level_seconds: 60, service_level_target: 0.9 });
    const supportFigures = result.call_queues.find((q) => q.call_queue_id === support);
    // The smallest staffing whose service level for 90% in 60 s reaches the target.
    const needed = supportFigures?.agents_needed as number;
    expect(textbookServiceLevel(needed, 10, 180, 60)).toBeGreaterThanOrEqual(0.9);
    expect(textbookServiceLevel(needed - 1, 10, 180, 60)).toBeLessThan(0.9);
  });

  it("staffs a call queue for its own threshold when one is given", async () => {
    const { billing, support } = await insertCallQueueTraffic(db());
    const recommendation = await optimizeQueueRouting(db(), {
      windowEnd: WINDOW_END,
      serviceLevelSeconds: 20,
      serviceLevelTarget: 0.8,
      serviceLevelSecondsByCallQueue: new Map([[support, 120]]),
    });
    const supportFigures = recommendation.call_queues.find((q) => q.call_queue_id === support);
    expect(supportFigures?.service_level_seconds).toBe(120);
    // 80% within 2 minutes at 10 Erlangs: 12 agents (11 fall short), by the factorial formula.
    expect(textbookServiceLevel(11, 10, 180, 120)).toBeLessThan(0.8);
    expect(textbookServiceLevel(12, 10, 180, 120)).toBeGreaterThanOrEqual(0.8);
    expect(supportFigures?.agents_needed).toBe(12);
    expect(recommendation.call_queues.find((q) => q.call_queue_id === billing)).toMatchObject({
      service_level_seconds: 20,
      agents_needed: 3,
    });
    expect(recommendation.summary).toBe("move 2 agents from Billing to Support");
  });

  it("takes the handle time of all call queues for one whose callers all hung up", async () => {
    const { support, sales } = await insertCallQueueTraffic(db());
    await db()
      .insertInto("calls")
      .values(
        Array.from({ length: 6 }, (_, i) => ({
          direction: "inbound" as const,
          from_number: "+15550001000",
          to_number: "+15550002000",
          status: "completed",
          call_queue_id: sales,
          enqueued_at: new Date(WINDOW_START.getTime() + i * 60_000),
          ended_at: new Date(WINDOW_START.getTime() + i * 60_000 + 90_000),
          outcome: "abandoned" as const,
        })),
      )
      .execute();
    const recommendation = await optimizeQueueRouting(db(), {
      windowEnd: WINDOW_END,
      serviceLevelSeconds: 20,
      serviceLevelTarget: 0.8,
    });
    const salesFigures = recommendation.call_queues.find((q) => q.call_queue_id === sales);
    // Billing's 10 and Support's 98 ended calls all took 180 s.
    expect(salesFigures).toMatchObject({
      offered: 6,
      answered: 0,
      arrival_rate_per_hour: 12,
      average_handle_time_seconds: 180,
      traffic_erlangs: 0.6,
      agents_serving: 0,
      agents_needed: 2,
      service_level_current: 0,
    });
    expect(textbookServiceLevel(1, 0.6, 180, 20)).toBeLessThan(0.8);
    expect(textbookServiceLevel(2, 0.6, 180, 20)).toBeGreaterThanOrEqual(0.8);
    expect(recommendation.summary).toBe(
      "move 2 agents from Billing to Support; add 2 agents to Support; add 2 agents to Sales",
    );
    expect(recommendation.call_queues.find((q) => q.call_queue_id === support)?.agents_needed).toBe(
      14,
    );
  });

  it("replaces its own row when its execution runs again, and adds one per execution", async () => {
    await insertCallQueueTraffic(db());
    const options = { windowEnd: WINDOW_END, serviceLevelSeconds: 20, serviceLevelTarget: 0.8 };
    const executionId = "0193a5d2-0000-7000-8000-000000000001";
    const first = await optimizeQueueRouting(db(), { ...options, executionId });
    const again = await optimizeQueueRouting(db(), { ...options, executionId });
    expect(again.id).not.toBe(first.id);
    expect(await db().selectFrom("routing_recommendations").select("id").execute()).toEqual([
      { id: again.id },
    ]);
    expect(await figures(first.id)).toEqual([]);
    expect(await figures(again.id)).toHaveLength(3);

    await optimizeQueueRouting(db(), options);
    expect(await db().selectFrom("routing_recommendations").select("id").execute()).toHaveLength(2);
  });

  it("analyses the 30 minutes up to now when no window is given", async () => {
    const recommendation = await optimizeQueueRouting(db(), {
      serviceLevelSeconds: 20,
      serviceLevelTarget: 0.8,
    });
    const end = Date.parse(recommendation.window_end);
    expect(Math.abs(end - Date.now())).toBeLessThan(60_000);
    expect(end - Date.parse(recommendation.window_start)).toBe(30 * 60_000);
    expect(recommendation.call_queues).toEqual([]);
    expect(recommendation.summary).toBe("no change: every call queue meets its target");
  });

  it("refuses a bad payload, naming the field, and writes nothing", async () => {
    const executions = () =>
      db()
        .selectFrom("executions")
        .select("id")
        .where("task_name", "=", "optimize_queue_routing")
        .execute();
    const before = await executions();
    for (const [payload, field] of [
      [{ window_end: "yesterday" }, "window_end"],
      [{ window_minutes: 0 }, "window_minutes"],
      [{ service_level_seconds: -1 }, "service_level_seconds"],
      [{ service_level_target: 1 }, "service_level_target"],
      [{ service_level_target: "80%" }, "service_level_target"],
    ] as const) {
      await expect(enqueue(db(), optimizeQueueRoutingTask, payload as never)).rejects.toThrow(
        field,
      );
    }
    expect(await executions()).toEqual(before);
    expect(await db().selectFrom("routing_recommendations").select("id").execute()).toEqual([]);
  });
});
