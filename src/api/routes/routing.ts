/**
 * `GET /api/routing/recommendations/` (read scope): optimize_queue_routing's recommendations —
 * the latest, and the history newest first, keyset-paginated (pass a page's `next_cursor` as
 * `cursor` for the next; it is opaque to clients).
 */
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { encodeCursor } from "../../database/keysetCursor.ts";
import type { Db } from "../../database/pool.ts";
import {
  routingRecommendationLatest,
  routingRecommendationList,
} from "../../routing/routingRecommendations.ts";
import type { AppEnv } from "../context.ts";
import { requireScope } from "../middleware/authenticate.ts";
import { errorResponses, json } from "../openapi.ts";
import { cursorParam } from "../schemas/cursor.ts";

export interface RoutingRoutesDependencies {
  db: Db;
}

const DEFAULT_LIMIT = 20;
const MAX_LIMIT = 200;

const ListQuery = z
  .object({
    limit: z.coerce
      .number({ error: "expected a number" })
      .int({ error: "expected a whole number" })
      .min(1, { error: "must be at least 1" })
      .max(MAX_LIMIT, { error: `must be at most ${MAX_LIMIT}` })
      .default(DEFAULT_LIMIT)
      .openapi({ description: `page size of the history, 1-${MAX_LIMIT}`, example: DEFAULT_LIMIT }),
    cursor: cursorParam.optional().openapi({ description: "next_cursor of the previous page" }),
  })
  .strict();

const fraction = z.number().min(0).max(1);

const AgentMoveSchema = z
  .object({
    from_call_queue_id: z.number().int(),
    from_call_queue_name: z.string(),
    to_call_queue_id: z.number().int(),
    to_call_queue_name: z.string(),
    agents: z.number().int(),
  })
  .openapi("AgentMove");

const AgentAdditionSchema = z
  .object({
    call_queue_id: z.number().int(),
    call_queue_name: z.string(),
    agents: z.number().int(),
  })
  .openapi("AgentAddition");

const CallQueueStaffingSchema = z
  .object({
    call_queue_id: z.number().int(),
    call_queue_name: z.string(),
    service_level_seconds: z
      .number()
      .int()
      .openapi({ description: "the threshold this call queue was staffed for" }),
    offered: z.number().int(),
    answered: z.number().int(),
    arrival_rate_per_hour: z.number(),
    average_handle_time_seconds: z.number().nullable(),
    traffic_erlangs: z.number().nullable().openapi({ description: "arrivals/s × AHT" }),
    agents_serving: z.number().int(),
    agents_needed: z.number().int().nullable().openapi({
      description: "Erlang C's smallest staffing meeting the target; null without a handle time",
    }),
    agents_recommended: z.number().int(),
    service_level_current: fraction.nullable(),
    service_level_recommended: fraction.nullable(),
  })
  .openapi("CallQueueStaffing");

const RoutingRecommendationSchema = z
  .object({
    id: z.number().int(),
    computed_at: z.string(),
    window_start: z.string(),
    window_end: z.string(),
    service_level_seconds: z.number().int(),
    service_level_target: fraction,
    summary: z.string().openapi({ example: "move 2 agents from Billing to Support" }),
    moves: z.array(AgentMoveSchema),
    additions: z.array(AgentAdditionSchema),
    call_queues: z.array(CallQueueStaffingSchema),
  })
  .openapi("RoutingRecommendation");

const RoutingRecommendationPageSchema = z
  .object({
    latest: RoutingRecommendationSchema.nullable(),
    items: z.array(RoutingRecommendationSchema),
    next_cursor: z.string().nullable(),
  })
  .openapi("RoutingRecommendationPage");

export function routingRoutes({ db }: RoutingRoutesDependencies) {
  const app = new OpenAPIHono<AppEnv>();

  app.openapi(
    createRoute({
      method: "get",
      path: "/api/routing/recommendations",
      summary: "The latest routing recommendation and the history, newest first",
      tags: ["routing"],
      middleware: [requireScope("read")] as const,
      request: { query: ListQuery },
      responses: {
        200: json(RoutingRecommendationPageSchema, "The latest and a page of the history"),
        ...errorResponses,
      },
    }),
    async (c) => {
      const { limit, cursor } = c.req.valid("query");
      const page = await routingRecommendationList(db, { limit, after: cursor });
      const latest = cursor ? await routingRecommendationLatest(db) : page.items[0];
      return c.json(
        {
          latest: latest ?? null,
          items: page.items,
          next_cursor: page.next ? encodeCursor(page.next) : null,
        },
        200,
      );
    },
  );

  return app;
}
