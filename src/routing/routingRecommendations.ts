/**
 * Stored routing recommendations (optimize_queue_routing's output) as the API shows them: newest
 * first, keyset-paged on (computed_at, id), each with its call queues' figures.
 */
import type { Selectable } from "kysely";
import { afterCursor, type Cursor, cursorKey, keysetPage } from "../database/keysetCursor.ts";
import type { Db } from "../database/pool.ts";
import type {
  RoutingRecommendationCallQueueTable,
  RoutingRecommendationTable,
} from "../database/schema.ts";

export interface AgentMoveView {
  from_call_queue_id: number;
  from_call_queue_name: string;
  to_call_queue_id: number;
  to_call_queue_name: string;
  agents: number;
}

export interface AgentAdditionView {
  call_queue_id: number;
  call_queue_name: string;
  agents: number;
}

/** A call queue's figures in a recommendation (`service_level_seconds`: the threshold it was staffed for). */
export type CallQueueStaffingView = Omit<
  Selectable<RoutingRecommendationCallQueueTable>,
  "recommendation_id"
> & { call_queue_name: string };

export interface RoutingRecommendationView {
  id: number;
  computed_at: string;
  window_start: string;
  window_end: string;
  service_level_seconds: number;
  service_level_target: number;
  summary: string;
  moves: AgentMoveView[];
  additions: AgentAdditionView[];
  call_queues: CallQueueStaffingView[];
}

type Header = Selectable<RoutingRecommendationTable> & { computed_at_key: string };

function headers(db: Db) {
  return db
    .selectFrom("routing_recommendations")
    .selectAll()
    .select(cursorKey("computed_at").as("computed_at_key"))
    .orderBy("computed_at", "desc")
    .orderBy("id", "desc");
}

/** A page of recommendations, newest first, after `after` (a previous page's `next`). */
export async function routingRecommendationList(
  db: Db,
  query: { limit: number; after?: Cursor | undefined },
): Promise<{ items: RoutingRecommendationView[]; next: Cursor | null }> {
  let select = headers(db).limit(query.limit + 1);
  if (query.after) select = select.where(afterCursor("computed_at", query.after));
  const { rows, next } = keysetPage(
    await select.execute(),
    query.limit,
    (row) => row.computed_at_key,
  );
  return { items: await withCallQueues(db, rows), next };
}

export async function routingRecommendationLatest(
  db: Db,
): Promise<RoutingRecommendationView | undefined> {
  const row = await headers(db).limit(1).executeTakeFirst();
  return row ? (await withCallQueues(db, [row]))[0] : undefined;
}

export async function routingRecommendationGet(
  db: Db,
  id: number,
): Promise<RoutingRecommendationView | undefined> {
  const row = await headers(db).where("id", "=", id).executeTakeFirst();
  return row ? (await withCallQueues(db, [row]))[0] : undefined;
}

async function withCallQueues(db: Db, rows: Header[]): Promise<RoutingRecommendationView[]> {
  if (rows.length === 0) return [];
  const figures = await db
    .selectFrom("routing_recommendation_call_queues as r")
    .innerJoin("call_queues as q", "q.id", "r.call_queue_id")
    .selectAll("r")
    .select("q.name as call_queue_name")
    .where(
      "r.recommendation_id",
      "in",
      rows.map((row) => row.id),
    )
    .orderBy("r.recommendation_id")
    .orderBy("r.call_queue_id")
    .execute();
  const byRecommendation = new Map<number, CallQueueStaffingView[]>();
  for (const { recommendation_id, ...figure } of figures) {
    const list = byRecommendation.get(recommendation_id) ?? [];
    list.push(figure);
    byRecommendation.set(recommendation_id, list);
  }
  return rows.map((row) => ({
    id: row.id,
    computed_at: row.computed_at.toISOString(),
    window_start: row.window_start.toISOString(),
    window_end: row.window_end.toISOString(),
    service_level_seconds: row.service_level_seconds,
    service_level_target: row.service_level_target,
    summary: row.summary,
    moves: row.moves as AgentMoveView[],
    additions: row.additions as AgentAdditionView[],
    call_queues: byRecommendation.get(row.id) ?? [],
  }));
}
