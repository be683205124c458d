/**
 * Campaigns over HTTP: start one (one call per number, paced and capped, by queue_bulk_calls)
 * and read its progress. The job and the audit row are written in one transaction.
 */
import { randomUUID } from "node:crypto";
import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import { toCampaignView } from "../../calls/callViews.ts";
import { campaignGetByPublicId, campaignProgress } from "../../calls/campaigns.ts";
import { recordAudit } from "../../control/audit.ts";
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
  BulkCallsBody,
  CampaignParam,
  CampaignSchema,
  QueuedCampaignSchema,
} from "../schemas/call.ts";

export interface CampaignRoutesDependencies {
  db: Db;
  /** Must hold queue_bulk_calls. */
  registry: TaskRegistry;
}

export function campaignRoutes({ db, registry }: CampaignRoutesDependencies) {
  const app = new OpenAPIHono<AppEnv>();

  app.openapi(
    createRoute({
      method: "post",
      path: "/api/calls/bulk",
      summary: "Start a campaign: one call per number, paced and capped (queue_bulk_calls)",
      tags: ["calls"],
      middleware: [requireScope("operate")] as const,
      request: body(BulkCallsBody),
      responses: {
        202: json(QueuedCampaignSchema, "Queued"),
        ...errorResponses,
        ...jsonBodyErrorResponses,
      },
    }),
    async (c) => {
      const input = c.req.valid("json");
      const bulk = registeredTask(registry, "queue_bulk_calls");
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
          status_url: taskStatusUrl(taskId),
          campaign_url: `/api/campaigns/${campaignId}`,
        },
        202,
      );
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
      const campaign = await campaignGetByPublicId(db, id);
      if (!campaign) throw new ApiError(404, "not_found", `No campaign ${id}`);
      return c.json(
        { ...toCampaignView(campaign), progress: await campaignProgress(db, campaign) },
        200,
      );
    },
  );

  return app;
}
