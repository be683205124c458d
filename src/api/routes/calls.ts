/**
 * Outbound calls and campaigns over HTTP (seed 001's call queuing). Writes answer 202 with the
 * task id of the job that does the work; the intent (`calls` row), its job and the audit row are
 * written in one transaction, and a refused request writes nothing.
 */
import { randomUUID } from "node:crypto";
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { CallInputError, enqueueCall, findCallBySid } from "../../calls/callIntents.ts";
import { callViewOf, toCampaignView } from "../../calls/callViews.ts";
import { campaignProgress, findCampaign } from "../../calls/campaigns.ts";
import {
  bulkCallFields,
  CALL_SID_PATTERN,
  callSid,
  isAfter,
  outboundCallFields,
  scheduleCallFields,
} from "../../calls/payloads.ts";
import { scheduleCall } from "../../calls/scheduling.ts";
import { recordAudit } from "../../control/audit.ts";
import type { Db } from "../../database/pool.ts";
import { enqueue } from "../../engine/enqueue.ts";
import { EnqueueError } from "../../engine/errors.ts";
import type { TaskRegistry } from "../../engine/registry.ts";
import type { AnyTask } from "../../engine/task.ts";
import type { AppEnv } from "../context.ts";
import { ApiError } from "../errors.ts";
import { requireScope } from "../middleware/authenticate.ts";
import { auditEntry } from "../operator.ts";
import { errorResponses, notFoundResponse } from "../schemas/execution.ts";

export interface CallRoutesDependencies {
  db: Db;
  /** Must hold queue_outbound_call, queue_bulk_calls and end_call. */
  registry: TaskRegistry;
}

const QueueCallBody = z.strictObject(outboundCallFields).openapi("QueueCall");
const BulkCallsBody = z.strictObject(bulkCallFields).openapi("QueueBulkCalls");
const ScheduleCallBody = z
  .strictObject({
    ...scheduleCallFields,
    schedule_time: scheduleCallFields.schedule_time.refine(
      (value) => isAfter(value, Date.now()),
      "schedule_time must be in the future",
    ),
  })
  .openapi("ScheduleCall");

const QueuedCallSchema = z
  .object({
    task_id: z.uuid(),
    call_id: z.uuid(),
    scheduled_for: z.string().nullable(),
    status_url: z.string(),
    call_url: z.string(),
  })
  .openapi("QueuedCall");

const CallSchema = z
  .object({
    call_id: z.uuid(),
    call_sid: z.string().nullable(),
    campaign_id: z.uuid().nullable(),
    direction: z.string(),
    from_number: z.string().nullable(),
    to_number: z.string(),
    status: z.string(),
    metadata: z.unknown(),
    answered_by: z.string().nullable(),
    error: z.object({ code: z.number().nullable(), message: z.string().nullable() }).nullable(),
    dial_attempts: z.number().int(),
    created_at: z.string(),
    scheduled_for: z.string().nullable(),
    dialed_at: z.string().nullable(),
    answered_at: z.string().nullable(),
    ended_at: z.string().nullable(),
    duration_seconds: z.number().nullable(),
    updated_at: z.string(),
    events: z.array(
      z.object({
        status: z.string(),
        sequence_number: z.number().nullable(),
        received_at: z.string(),
        applied: z.boolean(),
      }),
    ),
  })
  .openapi("Call");

const CampaignSchema = z
  .object({
    campaign_id: z.uuid(),
    name: z.string().nullable(),
    status: z.string(),
    from_number: z.string(),
    max_concurrent_calls: z.number().int(),
    delay_between_calls: z.number(),
    metadata: z.unknown(),
    created_at: z.string(),
    finished_at: z.string().nullable(),
    progress: z.object({
      total: z.number().int(),
      queued: z.number().int(),
      dialed: z.number().int(),
      in_progress: z.number().int(),
      completed: z.number().int(),
      failed: z.number().int(),
    }),
  })
  .openapi("Campaign");

const json = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { "application/json": { schema } },
});
const body = <T extends z.ZodType>(schema: T) => ({
  body: { content: { "application/json": { schema } }, required: true },
});

const SidParam = z.object({
  sid: callSid("sid").openapi({ param: { name: "sid", in: "path" } }),
});
const SidOrIdParam = z.object({
  sid: z
    .string()
    .refine(
      (value) => CALL_SID_PATTERN.test(value) || z.uuid().safeParse(value).success,
      "sid must be a Twilio CallSid (CA and 32 hex digits) or a call id (UUID)",
    )
    .openapi({ param: { name: "sid", in: "path" } }),
});
const CampaignParam = z.object({
  id: z
    .uuid({ error: "id must be a campaign id (UUID)" })
    .openapi({ param: { name: "id", in: "path" } }),
});

/** Turns refusals found after the body was parsed into the API's 400. */
function asBadRequest(error: unknown): never {
  if (error instanceof CallInputError) {
    throw new ApiError(400, "validation_failed", `Invalid request: ${error.path}`, [
      { path: error.path, message: error.message },
    ]);
  }
  if (error instanceof EnqueueError) {
    throw new ApiError(
      400,
      "validation_failed",
      `Invalid request: ${error.issues.map((issue) => issue.path).join(", ")}`,
      error.issues,
    );
  }
  throw error;
}

const statusUrl = (taskId: string) => `/api/tasks/status/${taskId}/`;

export function callRoutes({ db, registry }: CallRoutesDependencies) {
  const app = new OpenAPIHono<AppEnv>();
  const task = (name: string): AnyTask => {
    const found = registry.get(name);
    if (!found) throw new ApiError(503, "unavailable", `The task ${name} is not registered`);
    return found;
  };

  app.openapi(
    createRoute({
      method: "post",
      path: "/api/calls",
      summary: "Queue one outbound call (queue_outbound_call)",
      tags: ["calls"],
      middleware: [requireScope("operate")] as const,
      request: body(QueueCallBody),
      responses: { 202: json(QueuedCallSchema, "Queued"), ...errorResponses },
    }),
    async (c) => {
      const input = c.req.valid("json");
      const dial = task("queue_outbound_call");
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
      path: "/api/calls/bulk",
      summary: "Start a campaign: one call per number, paced and capped (queue_bulk_calls)",
      tags: ["calls"],
      middleware: [requireScope("operate")] as const,
      request: body(BulkCallsBody),
      responses: {
        202: json(
          z.object({
            campaign_id: z.uuid(),
            task_id: z.uuid(),
            status_url: z.string(),
            campaign_url: z.string(),
          }),
          "Queued",
        ),
        ...errorResponses,
      },
    }),
    async (c) => {
      const input = c.req.valid("json");
      const bulk = task("queue_bulk_calls");
      const campaignId = randomUUID();
      const taskId = await db.transaction().execute(async (trx) => {
        const id = await enqueue(trx, bulk, { ...input, campaign_id: campaignId }).catch(
          asBadRequest,
        );
        await recordAudit(
          trx,
          auditEntry(c, "campaign.create", [campaignId], "enqueued", {
            task_id: id,
            total_calls: input.phone_numbers.length,
          }),
        );
        return id;
      });
      return c.json(
        {
          campaign_id: campaignId,
          task_id: taskId,
          status_url: statusUrl(taskId),
          campaign_url: `/api/campaigns/${campaignId}`,
        },
        202,
      );
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
      responses: { 202: json(QueuedCallSchema, "Scheduled"), ...errorResponses },
    }),
    async (c) => {
      const input = c.req.valid("json");
      const dial = task("queue_outbound_call");
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
        202: json(
          z.object({ task_id: z.uuid(), call_sid: z.string(), status_url: z.string() }),
          "Queued",
        ),
        ...errorResponses,
        ...notFoundResponse,
      },
    }),
    async (c) => {
      const { sid } = c.req.valid("param");
      const end = task("end_call");
      if (!(await findCallBySid(db, sid))) throw notFound(sid);
      const taskId = await db.transaction().execute(async (trx) => {
        const id = await enqueue(trx, end, { call_sid: sid }).catch(asBadRequest);
        await recordAudit(trx, auditEntry(c, "call.end", [sid], "enqueued", { task_id: id }));
        return id;
      });
      return c.json({ task_id: taskId, call_sid: sid, status_url: statusUrl(taskId) }, 202);
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

  app.openapi(
    createRoute({
      method: "get",
      path: "/api/campaigns/{id}",
      summary: "A campaign and its progress",
      tags: ["calls"],
      middleware: [requireScope("read")] as const,
      request: { params: CampaignParam },
      responses: {
        200: json(CampaignSchema, "The campaign"),
        ...errorResponses,
        ...notFoundResponse,
      },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const campaign = await findCampaign(db, id);
      if (!campaign) throw new ApiError(404, "not_found", `No campaign ${id}`);
      return c.json(
        { ...toCampaignView(campaign), progress: await campaignProgress(db, campaign) },
        200,
      );
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
    status_url: statusUrl(queued.task_id),
    call_url: `/api/calls/${queued.call_id}`,
  };
}
