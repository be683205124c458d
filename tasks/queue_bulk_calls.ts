import { defineCallCenterTask } from "../src/callCenter/task.ts";
import { createCampaign } from "../src/calls/campaigns.ts";
import { queueBulkCallsPayload } from "../src/calls/payloads.ts";
import queueOutboundCall from "./queue_outbound_call.ts";

/**
 * Seed 001: a campaign — one queue_outbound_call per number, `delay_between_calls` apart, at most
 * `max_concurrent_calls` at once. Returns the campaign's public id.
 */
export default defineCallCenterTask({
  name: "queue_bulk_calls",
  lane: "realtime",
  payload: queueBulkCallsPayload,
  softTimeLimitMs: 5 * 60_000,
  hardTimeLimitMs: 6 * 60_000,
  run: (payload, ctx) =>
    createCampaign(ctx.db, queueOutboundCall, payload, {
      campaignId: payload.campaign_id ?? ctx.executionId,
      defaultFromNumber: ctx.services.twilio.phoneNumber,
      parentId: ctx.executionId,
    }),
});
