/**
 * optimize_queue_routing's work: each call queue's load over the last window (callQueueLoad),
 * the agents it needs for the service-level target by Erlang C (erlangC), the moves that would
 * staff every call queue (routingRecommendation), stored in one transaction and returned as the
 * API shows it.
 *
 * A call queue whose window holds no ended answered call takes the average handle time of all
 * call queues together (callers who all hung up before an answer still need agents); with none
 * anywhere, its need is unknown and it neither gives nor takes agents.
 */
import { callQueueLoad } from "../analytics/callQueueLoad.ts";
import { agentsNeeded, serviceLevel, trafficErlangs } from "../analytics/erlangC.ts";
import { recommendRouting } from "../analytics/routingRecommendation.ts";
import type { Db } from "../database/pool.ts";
import { databaseNow } from "../database/timestamps.ts";
import {
  type RoutingRecommendationView,
  routingRecommendationGet,
} from "./routingRecommendations.ts";

export const DEFAULT_ROUTING_WINDOW_MINUTES = 30;

export interface OptimizeQueueRoutingOptions {
  /** Answered within this many seconds counts as within the service level. */
  serviceLevelSeconds: number;
  /**
   * Call queues' own thresholds, by call queue id, over `serviceLevelSeconds`; default each call
   * queue's `service_level_seconds`.
   */
  serviceLevelSecondsByCallQueue?: ReadonlyMap<number, number>;
  /** The fraction of callers to answer within `serviceLevelSeconds`, in (0, 1). */
  serviceLevelTarget: number;
  /** The window's (exclusive) end; default the database's now. */
  windowEnd?: Date;
  /** Default 30. */
  windowMinutes?: number;
  /** The execution computing it: a retry of it replaces its row rather than adding one. */
  executionId?: string;
}

export async function optimizeQueueRouting(
  db: Db,
  options: OptimizeQueueRoutingOptions,
): Promise<RoutingRecommendationView> {
  const windowMinutes = options.windowMinutes ?? DEFAULT_ROUTING_WINDOW_MINUTES;
  const windowEnd = options.windowEnd ?? (await databaseNow(db));
  const windowStart = new Date(windowEnd.getTime() - windowMinutes * 60_000);
  const loads = await callQueueLoad(db, { from: windowStart, to: windowEnd });
  const ownThresholds =
    options.serviceLevelSecondsByCallQueue ?? (await callQueueServiceLevelSeconds(db));

  const handled = loads.reduce((sum, load) => sum + load.handled, 0);
  const handleSeconds = loads.reduce((sum, load) => sum + load.handleSeconds, 0);
  const overallHandleTime = handled > 0 ? handleSeconds / handled : null;

  const staffing = loads.map((load) => {
    const thresholdSeconds = ownThresholds.get(load.callQueueId) ?? options.serviceLevelSeconds;
    const arrivalRatePerHour = (load.offered * 60) / windowMinutes;
    const averageHandleTimeSeconds =
      load.handled > 0
        ? load.handleSeconds / load.handled
        : load.offered > 0
          ? overallHandleTime
          : null;
    const erlang =
      averageHandleTimeSeconds !== null && averageHandleTimeSeconds > 0
        ? {
            traffic: trafficErlangs(arrivalRatePerHour, averageHandleTimeSeconds),
            averageHandleTimeSeconds,
            thresholdSeconds,
          }
        : null;
    const needed =
      load.offered === 0
        ? 0
        : erlang && agentsNeeded({ ...erlang, target: options.serviceLevelTarget });
    return { load, thresholdSeconds, arrivalRatePerHour, averageHandleTimeSeconds, erlang, needed };
  });
  const recommendation = recommendRouting(
    staffing.map(({ load, needed }) => ({
      callQueueId: load.callQueueId,
      callQueueName: load.callQueueName,
      agentsServing: load.agentIds.length,
      agentsNeeded: needed,
    })),
  );

  const id = await db.transaction().execute(async (trx) => {
    if (options.executionId) {
      await trx
        .deleteFrom("routing_recommendations")
        .where("execution_id", "=", options.executionId)
        .execute();
    }
    const { id } = await trx
      .insertInto("routing_recommendations")
      .values({
        window_start: windowStart,
        window_end: windowEnd,
        service_level_seconds: options.serviceLevelSeconds,
        service_level_target: options.serviceLevelTarget,
        moves: JSON.stringify(
          recommendation.moves.map((move) => ({
            from_call_queue_id: move.fromCallQueueId,
            from_call_queue_name: move.fromCallQueueName,
            to_call_queue_id: move.toCallQueueId,
            to_call_queue_name: move.toCallQueueName,
            agents: move.agents,
          })),
        ),
        additions: JSON.stringify(
          recommendation.additions.map((addition) => ({
            call_queue_id: addition.callQueueId,
            call_queue_name: addition.callQueueName,
            agents: addition.agents,
          })),
        ),
        summary: recommendation.summary,
        execution_id: options.executionId ?? null,
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    if (staffing.length > 0) {
      await trx
        .insertInto("routing_recommendation_call_queues")
        .values(
          staffing.map((queue) => {
            const { load, arrivalRatePerHour, averageHandleTimeSeconds, erlang, needed } = queue;
            const recommended =
              recommendation.recommendedAgents.get(load.callQueueId) ?? load.agentIds.length;
            const predict = (agents: number) => (erlang ? serviceLevel(agents, erlang) : null);
            return {
              recommendation_id: id,
              call_queue_id: load.callQueueId,
              service_level_seconds: queue.thresholdSeconds,
              offered: load.offered,
              answered: load.answered,
              arrival_rate_per_hour: arrivalRatePerHour,
              average_handle_time_seconds: averageHandleTimeSeconds,
              traffic_erlangs: erlang?.traffic ?? (load.offered === 0 ? 0 : null),
              agents_serving: load.agentIds.length,
              agents_needed: needed,
              agents_recommended: recommended,
              service_level_current: predict(load.agentIds.length),
              service_level_recommended: predict(recommended),
            };
          }),
        )
        .execute();
    }
    return id;
  });
  const stored = await routingRecommendationGet(db, id);
  if (!stored) throw new Error(`routing recommendation ${id} vanished after it was stored`);
  return stored;
}

/** The call queues that set their own service level's threshold. */
async function callQueueServiceLevelSeconds(db: Db): Promise<Map<number, number>> {
  const rows = await db
    .selectFrom("call_queues")
    .select(["id", "service_level_seconds"])
    .where("service_level_seconds", "is not", null)
    .execute();
  return new Map(rows.map((row) => [Number(row.id), row.service_level_seconds as number]));
}
