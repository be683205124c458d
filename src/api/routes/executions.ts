/**
 * Executions: the ledger over HTTP. Lists give summaries (no payload or result) with keyset
 * pagination (newest first; the dead-letter queue newest failure first); one execution is
 * given whole. Retry and cancel are the audited operator actions of `src/control`.
 */
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { executionCancel } from "../../control/cancel.ts";
import { executionRetry } from "../../control/retry.ts";
import { encodeCursor } from "../../database/keysetCursor.ts";
import type { Db, Pool } from "../../database/pool.ts";
import { liveStatuses } from "../../engine/executionStatus.ts";
import type { TaskRegistry } from "../../engine/registry.ts";
import {
  type ExecutionPage,
  type ExecutionPageQuery,
  executionGetByPublicId,
  executionList,
  executionListAttempts,
  executionListDead,
} from "../../executions/queries.ts";
import { executionWaitForEnd } from "../../executions/waitForEnd.ts";
import type { AppEnv } from "../context.ts";
import { ApiError } from "../errors.ts";
import type { EventHub } from "../events/eventHub.ts";
import { requireScope } from "../middleware/authenticate.ts";
import { ErrorSchema, errorResponses, json, notFoundResponse } from "../openapi.ts";
import { operatorOf } from "../operator.ts";
import { cursorParam } from "../schemas/cursor.ts";
import {
  AttemptSchema,
  ExecutionSchema,
  ExecutionSummarySchema,
  toAttemptView,
  toExecutionSummary,
  toExecutionView,
} from "../schemas/execution.ts";
import { executionFilterFields } from "../schemas/executionFilters.ts";

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

  const pageQuery = (query: z.output<typeof ListQuery>): ExecutionPageQuery => {
    const { limit, cursor, ...filters } = query;
    return { filters, limit, after: cursor };
  };

  app.openapi(listRoute("/api/tasks/executions", "List executions"), async (c) =>
    c.json(pageView(await executionList(db, pageQuery(c.req.valid("query")))), 200),
  );
  app.openapi(
    listRoute("/api/tasks/executions/active", "Executions queued, scheduled, running or retrying"),
    async (c) => {
      const query = pageQuery(c.req.valid("query"));
      query.filters = { ...query.filters, status: [...liveStatuses] };
      return c.json(pageView(await executionList(db, query)), 200);
    },
  );
  app.openapi(
    listRoute(
      "/api/tasks/executions/failed",
      "The dead-letter queue: executions out of attempts, newest failure first",
    ),
    async (c) =>
      c.json(pageView(await executionListDead(db, pageQuery(c.req.valid("query")))), 200),
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
      const attempts = await executionListAttempts(db, row.id);
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
    const outcome = await executionRetry(db, registry, { publicId: public_id, ...operatorOf(c) });
    if (outcome === "not_found") throw notFound(public_id);
    if (outcome !== "retried") {
      throw new ApiError(
        409,
        "conflict",
        outcome === "unknown_task"
          ? "The execution's task is not registered in this process"
          : "Only dead, cancelled or expired executions can be retried",
      );
    }
    const execution = toExecutionView(await findExecution(db, public_id));
    return c.json({ task_id: public_id, outcome, execution }, 200);
  });

  app.openapi(action("cancel"), async (c) => {
    const { public_id } = c.req.valid("param");
    const outcome = await executionCancel(db, { publicId: public_id, ...operatorOf(c) });
    if (outcome === "not_found") throw notFound(public_id);
    if (outcome === "already_finished") {
      throw new ApiError(409, "conflict", "The execution has already finished");
    }
    const execution = toExecutionView(await findExecution(db, public_id));
    return c.json({ task_id: public_id, outcome, execution }, outcome === "requested" ? 202 : 200);
  });

  return app;
}

export interface TaskStatusRoutesDependencies {
  db: Db;
  pool: Pool;
  /** Execution events, for `?wait=`; started here on the first wait if it is not yet. */
  hub: EventHub;
}

/** The longest `?wait=` of the status lookup, in seconds. */
export const MAX_STATUS_WAIT_SECONDS = 60;

const StatusQuery = z.object({
  wait: z
    .string()
    .regex(/^\d+(\.\d+)?$/, "wait must be a number of seconds")
    .transform(Number)
    .pipe(
      z
        .number()
        .max(MAX_STATUS_WAIT_SECONDS, `wait must be at most ${MAX_STATUS_WAIT_SECONDS} seconds`),
    )
    .optional()
    .openapi({
      param: { name: "wait", in: "query" },
      description:
        `Wait up to this many seconds (at most ${MAX_STATUS_WAIT_SECONDS}) for the task to ` +
        "end, then answer as usual (seed 001's get_task_result(timeout))",
    }),
});

/**
 * The status lookup of seed 000: `GET /api/tasks/status/{task_id}/`; with `?wait=30`, it answers
 * once the task has ended or 30 s have passed, whichever is first.
 */
export function taskStatusRoutes({ db, pool, hub }: TaskStatusRoutesDependencies) {
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
        query: StatusQuery,
      },
      responses: {
        200: json(ExecutionSchema, "The execution"),
        ...errorResponses,
        ...notFoundResponse,
      },
    }),
    async (c) => {
      const { task_id } = c.req.valid("param");
      const { wait } = c.req.valid("query");
      if (!wait) return c.json(toExecutionView(await findExecution(db, task_id)), 200);
      await hub.start(pool);
      const row = await executionWaitForEnd(db, hub, task_id, {
        timeoutMs: wait * 1000,
        signal: c.req.raw.signal,
      });
      if (!row) throw notFound(task_id);
      return c.json(toExecutionView(row), 200);
    },
  );
  return app;
}

function pageView(page: ExecutionPage) {
  return {
    executions: page.rows.map(toExecutionSummary),
    next_cursor: page.next ? encodeCursor(page.next) : null,
  };
}

async function findExecution(db: Db, publicId: string) {
  const row = await executionGetByPublicId(db, publicId);
  if (!row) throw notFound(publicId);
  return row;
}

function notFound(publicId: string) {
  return new ApiError(404, "not_found", `No execution ${publicId}`);
}
