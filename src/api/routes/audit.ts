/**
 * `GET /api/audit` (admin scope): the audit log, newest first. Pages are keyset-paginated:
 * pass the `next_cursor` of one page as `cursor` to get the next; it is opaque to clients.
 */
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { auditList } from "../../control/audit.ts";
import { encodeCursor } from "../../database/keysetCursor.ts";
import type { Db } from "../../database/pool.ts";
import { refuseUnstorable } from "../../database/storableText.ts";
import type { AppEnv } from "../context.ts";
import { validationError } from "../errors.ts";
import { requireScope } from "../middleware/authenticate.ts";
import { cursorParam } from "../schemas/cursor.ts";

const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 500;
const AuditQuerySchema = z.object({
  limit: z.coerce
    .number({ error: "expected a number" })
    .int({ error: "expected a whole number" })
    .min(1, { error: "must be at least 1" })
    .max(MAX_LIMIT, { error: `must be at most ${MAX_LIMIT}` })
    .default(DEFAULT_LIMIT)
    .openapi({ description: `page size, 1-${MAX_LIMIT}`, example: DEFAULT_LIMIT }),
  cursor: cursorParam.optional().openapi({ description: "next_cursor of the previous page" }),
  action: z
    .string()
    .min(1)
    .max(200)
    .superRefine(refuseUnstorable)
    .optional()
    .openapi({ example: "execution.cancel" }),
  actor: z
    .string()
    .min(1)
    .max(200)
    .superRefine(refuseUnstorable)
    .optional()
    .openapi({ example: "ops-dashboard" }),
});

const AuditEntrySchema = z
  .object({
    id: z.number().int(),
    at: z.string(),
    actor: z.string(),
    action: z.string(),
    target_ids: z.array(z.string()),
    details: z.record(z.string(), z.unknown()),
    outcome: z.string(),
    request_id: z.string().nullable(),
  })
  .openapi("AuditEntry");

const AuditPageSchema = z
  .object({ items: z.array(AuditEntrySchema), next_cursor: z.string().nullable() })
  .openapi("AuditPage");

const errorResponse = (description: string) => ({
  description,
  content: {
    "application/json": {
      schema: z.object({
        error: z.object({
          code: z.string(),
          message: z.string(),
          details: z.array(z.object({ path: z.string(), message: z.string() })),
        }),
      }),
    },
  },
});

export const listAuditRoute = createRoute({
  method: "get",
  path: "/api/audit",
  tags: ["audit"],
  summary: "List audit entries, newest first",
  security: [{ bearerAuth: [] }],
  middleware: [requireScope("admin")],
  request: { query: AuditQuerySchema },
  responses: {
    200: {
      description: "A page of audit entries",
      content: { "application/json": { schema: AuditPageSchema } },
    },
    400: errorResponse("Invalid query (the field is named)"),
    401: errorResponse("Missing or invalid API token"),
    403: errorResponse("The token lacks the admin scope"),
  },
});

export function auditRoutes(db: Db) {
  const app = new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) throw validationError(result.error, result.target);
    },
  });
  return app.openapi(listAuditRoute, async (c) => {
    const { limit, cursor, action, actor } = c.req.valid("query");
    const page = await auditList(db, { limit, after: cursor, action, actor });
    return c.json(
      {
        items: page.entries.map((row) => ({
          id: row.id,
          at: row.at.toISOString(),
          actor: row.actor,
          action: row.action,
          target_ids: row.target_ids,
          details: (row.details ?? {}) as Record<string, unknown>,
          outcome: row.outcome,
          request_id: row.request_id,
        })),
        next_cursor: page.next ? encodeCursor(page.next) : null,
      },
      200,
    );
  });
}
