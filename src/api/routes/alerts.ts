/**
 * `GET /api/alerts` (read scope): critical alerts, open and resolved, newest first, keyset-paged:
 * pass a page's `next_cursor` as `cursor` for the next one.
 */
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { alertList } from "../../alerts/alertList.ts";
import { alertStatuses } from "../../alerts/alertStatus.ts";
import { encodeCursor } from "../../database/keysetCursor.ts";
import type { Db } from "../../database/pool.ts";
import type { AppEnv } from "../context.ts";
import { validationError } from "../errors.ts";
import { requireScope } from "../middleware/authenticate.ts";
import { ErrorSchema, errorResponses, json } from "../openapi.ts";
import { cursorParam } from "../schemas/cursor.ts";

const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 500;

const AlertQuerySchema = z.object({
  status: z
    .enum(alertStatuses, { error: `expected one of ${alertStatuses.join(", ")}` })
    .default("all")
    .openapi({ description: "open, resolved or all (default)", example: "open" }),
  limit: z.coerce
    .number({ error: "expected a number" })
    .int({ error: "expected a whole number" })
    .min(1, { error: "must be at least 1" })
    .max(MAX_LIMIT, { error: `must be at most ${MAX_LIMIT}` })
    .default(DEFAULT_LIMIT)
    .openapi({ description: `page size, 1-${MAX_LIMIT}`, example: DEFAULT_LIMIT }),
  cursor: cursorParam.optional().openapi({ description: "next_cursor of the previous page" }),
});

const AlertSchema = z
  .object({
    id: z.number().int(),
    condition: z.string().openapi({ example: "lane_wait" }),
    instance_key: z.string().openapi({ example: "reports" }),
    severity: z.enum(["critical", "warning"]),
    status: z.enum(["open", "resolved"]),
    summary: z.string().openapi({ example: "lane reports: oldest waiting job is 812 s old" }),
    details: z.record(z.string(), z.unknown()),
    started_at: z.string(),
    last_seen_at: z.string(),
    resolved_at: z.string().nullable(),
    last_notified_at: z.string().nullable(),
    notifications: z.number().int(),
  })
  .openapi("Alert");

const AlertPageSchema = z
  .object({ items: z.array(AlertSchema), next_cursor: z.string().nullable() })
  .openapi("AlertPage");

export const listAlertsRoute = createRoute({
  method: "get",
  path: "/api/alerts",
  tags: ["alerts"],
  summary: "List critical alerts, newest first",
  security: [{ bearerAuth: [] }],
  middleware: [requireScope("read")] as const,
  request: { query: AlertQuerySchema },
  responses: {
    200: json(AlertPageSchema, "A page of alerts"),
    ...errorResponses,
    503: json(ErrorSchema, "The database is unavailable"),
  },
});

export function alertRoutes({ db }: { db: Db }) {
  const app = new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) throw validationError(result.error, result.target);
    },
  });
  return app.openapi(listAlertsRoute, async (c) => {
    const { status, limit, cursor } = c.req.valid("query");
    const page = await alertList(db, { status, limit, after: cursor });
    return c.json(
      {
        items: page.alerts.map((alert) => ({
          id: alert.id,
          condition: alert.condition,
          instance_key: alert.instance_key,
          severity: alert.severity,
          status: alert.resolved_at ? ("resolved" as const) : ("open" as const),
          summary: alert.summary,
          details: (alert.details ?? {}) as Record<string, unknown>,
          started_at: alert.started_at.toISOString(),
          last_seen_at: alert.last_seen_at.toISOString(),
          resolved_at: alert.resolved_at?.toISOString() ?? null,
          last_notified_at: alert.last_notified_at?.toISOString() ?? null,
          notifications: alert.notifications,
        })),
        next_cursor: page.next ? encodeCursor(page.next) : null,
      },
      200,
    );
  });
}
