/**
 * Calls over HTTP (seed 001's call queuing): queue, schedule and hang up outbound calls; list
 * calls of either direction and read one.
 * Writes answer 202 with the task id of the job that does the work; the intent (`calls` row),
 * its job and the audit row are written in one transaction, and a refused request writes
 * nothing. Campaigns are in campaigns.ts.
 */
import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import { callGetBySid, enqueueCall } from "../../calls/callIntents.ts";
import { callList } from "../../calls/callList.ts";
import { callViewOf, toCallView } from "../../calls/callViews.ts";
import { scheduleCall } from "../../calls/scheduling.ts";
import { recordAudit } from "../../control/audit.ts";
import { encodeCursor } from "../../database/keysetCursor.ts";
import type { Db } from "../../database/pool.ts";
import { enqueue } from "../../engine/enqueue.ts";
import type { TaskRegistry } from "../../engine/registry.ts";
import type { AppEnv } from "../context.ts";
import { asBadRequest, registeredTask, taskStatusUrl } from "../enqueueing.ts";
import { ApiError } from "../errors.ts";
import { requireScope } from "../middleware/authenticate.ts";
import {
  body,
  errorResponses,
  json,
  jsonBodyErrorResponses,
  notFoundResponse,
} from "../openapi.ts";
import { auditEntry } from "../operator.ts";
import {
  CallListQuery,
  CallPageSchema,
  CallSchema,
  QueueCallBody,
  QueuedCallSchema,
  QueuedEndCallSchema,
  ScheduleCallBody,
  SidOrIdParam,
  SidParam,
} from "../schemas/call.ts";

export interface CallRoutesDependencies {
  db: Db;
  /** Must hold queue_outbound_call and end_call. */
  registry: TaskRegistry;
}

export function callRoutes({ db, registry }: CallRoutesDependencies) {
  const app = new OpenAPIHono<AppEnv>();

  app.openapi(
    createRoute({
      method: "post",
      path: "/api/calls",
      summary: "Queue one outbound call (queue_outbound_call)",
      tags: ["calls"],
      middleware: [requireScope("operate")] as const,
      request: body(QueueCallBody),
      responses: {
        202: json(QueuedCallSchema, "Queued"),
        ...errorResponses,
        ...jsonBodyErrorResponses,
      },
    }),
    async (c) => {
      const input = c.req.valid("json");
      const dial = registeredTask(registry, "queue_outbound_call");
      const delayMs = Math.round((input.delay_seconds ?? 0) * 1000);
      const queued = await db.transaction().execute(async (trx) => {
        const result = await enqueueCall(trx, dial, {
          ...input,
          ...(delayMs > 0 ? { runAt: new Date(Date.now() + delayMs) } : {}),
        }).catch(asBadRequest);
        await recordAudit(
          trx,
          auditEntry(c, "call.queue", [result.call_id], "enqueued", { task_id: result.task_id }),
        );
        return result;
      });
      return c.json(queuedCallView(queued), 202);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/api/calls/schedule",
      summary: "Schedule a call for a time in the future (schedule_call)",
      tags: ["calls"],
      middleware: [requireScope("operate")] as const,
      request: body(ScheduleCallBody),
      responses: {
        202: json(QueuedCallSchema, "Scheduled"),
        ...errorResponses,
        ...jsonBodyErrorResponses,
      },
    }),
    async (c) => {
      const input = c.req.valid("json");
      const dial = registeredTask(registry, "queue_outbound_call");
      const queued = await db.transaction().execute(async (trx) => {
        const result = await scheduleCall(trx, dial, input).catch(asBadRequest);
        await recordAudit(
          trx,
          auditEntry(c, "call.schedule", [result.call_id], "scheduled", {
            task_id: result.task_id,
            schedule_time: input.schedule_time,
          }),
        );
        return result;
      });
      return c.json(queuedCallView(queued), 202);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/api/calls/{sid}/end",
      summary: "Hang up a call (end_call)",
      tags: ["calls"],
      middleware: [requireScope("operate")] as const,
      request: { params: SidParam },
      responses: {
        202: json(QueuedEndCallSchema, "Queued"),
        ...errorResponses,
        ...notFoundResponse,
      },
    }),
    async (c) => {
      const { sid } = c.req.valid("param");
      const end = registeredTask(registry, "end_call");
      if (!(await callGetBySid(db, sid))) throw notFound(sid);
      const taskId = await db.transaction().execute(async (trx) => {
        const id = await enqueue(trx, end, { call_sid: sid }).catch(asBadRequest);
        await recordAudit(trx, auditEntry(c, "call.end", [sid], "enqueued", { task_id: id }));
        return id;
      });
      return c.json({ task_id: taskId, call_sid: sid, status_url: taskStatusUrl(taskId) }, 202);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/api/calls",
      summary: "Calls, newest first, by direction, outcome and call queue (keyset pages)",
      tags: ["calls"],
      middleware: [requireScope("read")] as const,
      request: { query: CallListQuery },
      responses: { 200: json(CallPageSchema, "A page of calls"), ...errorResponses },
    }),
    async (c) => {
      const query = c.req.valid("query");
      const page = await callList(db, {
        limit: query.limit,
        after: query.cursor,
        direction: query.direction,
        outcome: query.outcome,
        callQueue: query.call_queue,
      });
      return c.json(
        {
          calls: page.rows.map(toCallView),
          next_cursor: page.next ? encodeCursor(page.next) : null,
        },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/api/calls/{sid}",
      summary: "A call (by CallSid or call id) with its status events",
      tags: ["calls"],
      middleware: [requireScope("read")] as const,
      request: { params: SidOrIdParam },
      responses: { 200: json(CallSchema, "The call"), ...errorResponses, ...notFoundResponse },
    }),
    async (c) => {
      const { sid } = c.req.valid("param");
      const view = await callViewOf(db, sid);
      if (!view) throw notFound(sid);
      return c.json(view, 200);
    },
  );

  return app;
}

function notFound(sid: string) {
  return new ApiError(404, "not_found", `No call ${sid}`);
}

/** The 202 answer to a queued call: its ids and where to follow it. */
function queuedCallView<T extends { task_id: string; call_id: string }>(queued: T) {
  return {
    ...queued,
    status_url: taskStatusUrl(queued.task_id),
    call_url: `/api/calls/${queued.call_id}`,
  };
}
