/**
 * Executions: the ledger over HTTP. Lists give summaries (no payload or result) with keyset
 * pagination (newest first); one execution is given whole. Retry and cancel run in one
 * transaction with their audit row.
 */
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { sql } from "kysely";
import type { Db } from "../../database/pool.ts";
import { cancelExecution } from "../../engine/control/cancel.ts";
import { retryExecution } from "../../engine/control/retry.ts";
import type { ExecutionStatus } from "../../engine/executionStatus.ts";
import type { TaskRegistry } from "../../engine/registry.ts";
import { recordAudit } from "../audit.ts";
import type { AppEnv } from "../context.ts";
import { afterCursor, cursorKey, cursorParam, encodeCursor } from "../cursor.ts";
import { ApiError } from "../errors.ts";
import { requireScope } from "../middleware/authenticate.ts";
import { ErrorSchema, errorResponses, json, notFoundResponse } from "../openapi.ts";
import {
  AttemptSchema,
  ExecutionSchema,
  ExecutionSummarySchema,
  executionSelection,
  executionSummarySelection,
  toAttemptView,
  toExecutionSummary,
  toExecutionView,
} from "../schemas/execution.ts";
import { applyExecutionFilters, executionFilterFields } from "../schemas/executionFilters.ts";
import { isoMicros } from "../timestamps.ts";

export interface ExecutionRoutesDependencies {
  db: Db;
  registry: TaskRegistry;
}

const PublicIdParam = z.object({
  public_id: z
    .uuid({ message: "expected an execution id (UUID)" })
    .openapi({ param: { name: "public_id", in: "path" } }),
});

const ListQuery = z
  .object({
    ...executionFilterFields,
    limit: z.coerce.number().int().min(1).max(200).default(50),
    cursor: cursorParam.optional(),
  })
  .strict();

const PageSchema = z
  .object({ executions: z.array(ExecutionSummarySchema), next_cursor: z.string().nullable() })
  .openapi("ExecutionPage");

const listRoute = (path: string, summary: string) =>
  createRoute({
    method: "get",
    path,
    summary,
    tags: ["executions"],
    middleware: [requireScope("read")] as const,
    request: { query: ListQuery },
    responses: { 200: json(PageSchema, "A page of executions"), ...errorResponses },
  });

const ActionOutcomeSchema = z
  .object({ task_id: z.uuid(), outcome: z.string(), execution: ExecutionSchema.optional() })
  .openapi("ActionOutcome");

export function executionRoutes({ db, registry }: ExecutionRoutesDependencies) {
  const app = new OpenAPIHono<AppEnv>();

  async function page(
    query: z.output<typeof ListQuery>,
    fixed: Partial<z.output<typeof ListQuery>> = {},
  ) {
    const filters = { ...query, ...fixed };
    const newestFirst = (status: ExecutionStatus[] | undefined) => {
      let select = applyExecutionFilters(
        db
          .selectFrom("executions")
          .select(["id", ...executionSummarySelection])
          .select(cursorKey("created_at").as("cursor_at")),
        { ...filters, status },
      )
        // Qualified: a bare created_at here would mean the formatted text of the select list.
        .orderBy("executions.created_at", "desc")
        .orderBy("executions.id", "desc")
        .limit(filters.limit + 1);
      if (filters.cursor) select = select.where(afterCursor("created_at", filters.cursor));
      return select;
    };
    const statuses = filters.status ?? [];
    // With several statuses no single index yields rows in page order: each status pages its
    // own index range, and the page is the newest of those.
    const rows =
      statuses.length > 1
        ? (
            await sql<Awaited<ReturnType<ReturnType<typeof newestFirst>["execute"]>>[number]>`
              select * from (${sql.join(
                statuses.map((status) => newestFirst([status])),
                sql` union all `,
              )}) as pages
              order by cursor_at::timestamp desc, id desc limit ${filters.limit + 1}`.execute(db)
          ).rows
        : await newestFirst(filters.status).execute();
    const more = rows.length > filters.limit;
    const shown = more ? rows.slice(0, filters.limit) : rows;
    const last = shown.at(-1);
    return {
      executions: shown.map(toExecutionSummary),
      next_cursor:
        more && last ? encodeCursor({ at: isoMicros(last.cursor_at), id: last.id }) : null,
    };
  }

  app.openapi(listRoute("/api/tasks/executions", "List executions"), async (c) =>
    c.json(await page(c.req.valid("query")), 200),
  );
  app.openapi(
    listRoute("/api/tasks/executions/active", "Executions queued, scheduled, running or retrying"),
    async (c) =>
      c.json(
        await page(c.req.valid("query"), {
          status: ["queued", "scheduled", "running", "retrying"],
        }),
        200,
      ),
  );
  app.openapi(
    listRoute("/api/tasks/executions/failed", "The dead-letter queue: executions out of attempts"),
    async (c) => c.json(await page(c.req.valid("query"), { status: ["dead"] }), 200),
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/api/tasks/executions/{public_id}",
      summary: "One execution with its attempts",
      tags: ["executions"],
      middleware: [requireScope("read")] as const,
      request: { params: PublicIdParam },
      responses: {
        200: json(
          ExecutionSchema.extend({ attempts_history: z.array(AttemptSchema) }),
          "The execution",
        ),
        ...errorResponses,
        ...notFoundResponse,
      },
    }),
    async (c) => {
      const { public_id } = c.req.valid("param");
      const row = await findExecution(db, public_id);
      const attempts = await db
        .selectFrom("execution_attempts")
        .selectAll()
        .where("execution_id", "=", row.id)
        .orderBy("started_at")
        .execute();
      return c.json(
        { ...toExecutionView(row, { stack: true }), attempts_history: attempts.map(toAttemptView) },
        200,
      );
    },
  );

  const action = (verb: "retry" | "cancel") =>
    createRoute({
      method: "post",
      path: `/api/tasks/executions/{public_id}/${verb}`,
      summary:
        verb === "retry"
          ? "Run a dead, cancelled or expired execution again"
          : "Cancel an execution",
      tags: ["executions"],
      middleware: [requireScope("operate")] as const,
      request: { params: PublicIdParam },
      responses: {
        200: json(ActionOutcomeSchema, "What happened"),
        202: json(ActionOutcomeSchema, "Cancel requested from the running worker"),
        409: json(ErrorSchema, "Not in a state that allows it"),
        ...errorResponses,
        ...notFoundResponse,
      },
    });

  app.openapi(action("retry"), async (c) => {
    const { public_id } = c.req.valid("param");
    const outcome = await db.transaction().execute(async (trx) => {
      const result = await retryExecution(trx, registry, public_id);
      if (result === "not_found") throw notFound(public_id);
      if (result !== "retried") {
        throw new ApiError(
          409,
          "conflict",
          result === "unknown_task"
            ? "The execution's task is not registered in this process"
            : "Only dead, cancelled or expired executions can be retried",
        );
      }
      await recordAudit(trx, auditEntry(c, "execution.retry", [public_id], result));
      return result;
    });
    return c.json(
      {
        task_id: public_id,
        outcome,
        execution: toExecutionView(await findExecution(db, public_id)),
      },
      200,
    );
  });

  app.openapi(action("cancel"), async (c) => {
    const { public_id } = c.req.valid("param");
    const outcome = await db.transaction().execute(async (trx) => {
      const result = await cancelExecution(trx, public_id);
      if (result === "not_found") throw notFound(public_id);
      if (result === "already_finished") {
        throw new ApiError(409, "conflict", "The execution has already finished");
      }
      await recordAudit(trx, auditEntry(c, "execution.cancel", [public_id], result));
      return result;
    });
    const execution = toExecutionView(await findExecution(db, public_id));
    return c.json({ task_id: public_id, outcome, execution }, outcome === "requested" ? 202 : 200);
  });

  return app;
}

/** The status lookup of seed 000: `GET /api/tasks/status/{task_id}/`. */
export function taskStatusRoutes({ db }: Pick<ExecutionRoutesDependencies, "db">) {
  const app = new OpenAPIHono<AppEnv>();
  app.openapi(
    createRoute({
      method: "get",
      path: "/api/tasks/status/{task_id}",
      summary: "Status, progress, attempts, timings, result and last error of a task",
      tags: ["executions"],
      middleware: [requireScope("read")] as const,
      request: {
        params: z.object({
          task_id: z
            .uuid({ message: "expected a task id (UUID)" })
            .openapi({ param: { name: "task_id", in: "path" } }),
        }),
      },
      responses: {
        200: json(ExecutionSchema, "The execution"),
        ...errorResponses,
        ...notFoundResponse,
      },
    }),
    async (c) =>
      c.json(toExecutionView(await findExecution(db, c.req.valid("param").task_id)), 200),
  );
  return app;
}

async function findExecution(db: Db, publicId: string) {
  const row = await db
    .selectFrom("executions")
    .select(["id", ...executionSelection])
    .where("public_id", "=", publicId)
    .executeTakeFirst();
  if (!row) throw notFound(publicId);
  return row;
}

function notFound(publicId: string) {
  return new ApiError(404, "not_found", `No execution ${publicId}`);
}

export function auditEntry(
  c: { get(key: "principal"): { name: string }; get(key: "requestId"): string },
  action: string,
  targetIds: string[],
  outcome: string,
  details: Record<string, unknown> = {},
) {
  return {
    actor: c.get("principal").name,
    action,
    targetIds,
    details,
    outcome,
    requestId: c.get("requestId"),
  };
}
