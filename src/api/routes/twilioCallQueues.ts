/**
 * Inbound calls through Twilio's call queues, each request signed like every Twilio webhook and
 * answered with TwiML at once (Twilio waits for it):
 * - `voice/inbound?call_queue=` — a caller rings in: the call is recorded and `<Enqueue>`d;
 * - `voice/queue-wait` — what the caller hears while waiting;
 * - `voice/queue-result` — the `<Enqueue>` action: how the wait ended (QueueResult, QueueTime);
 * - `voice/agent?call_queue=&agent_id=` — an agent's leg: `<Dial><Queue>` takes the next caller,
 *   and the agent is available until then;
 * - `voice/agent-answer?agent_id=` — the `<Queue url>` request Twilio makes on the dequeued
 *   caller's leg (its CallSid) just before bridging: the agent answered that call.
 * Each but `queue-wait` (which changes nothing) is logged in `webhook_logs` and applied in the
 * same transaction; a repeat is logged as a duplicate and applied once. A callback about a
 * CallSid that is no inbound call of ours is logged, warned about and answered 200 with empty
 * TwiML: Twilio meets a 4xx on these URLs by playing an application error to the live caller.
 */
import { type Context, Hono } from "hono";
import twilioSdk from "twilio";
import { z } from "zod";
import type { TwilioService } from "../../callCenter/services.ts";
import { recordAgentState } from "../../calls/agentStates.ts";
import {
  agentAnswerApply,
  agentFind,
  callQueueFind,
  inboundCallEnqueue,
  queueResultApply,
  queueResults,
} from "../../calls/inboundCalls.ts";
import { callSid } from "../../calls/payloads.ts";
import type { Db } from "../../database/pool.ts";
import { logAndApplyWebhook } from "../../webhooks/webhookLog.ts";
import type { AppEnv } from "../context.ts";
import { ApiError, validationError } from "../errors.ts";
import { verifiedTwilioForm } from "../twilioForm.ts";

export interface TwilioCallQueueDependencies {
  db: Db;
  twilio: Pick<TwilioService, "authToken" | "publicBaseUrl">;
}

const seconds = (field: string) =>
  z
    .string({ error: `${field} is required` })
    .regex(/^\d{1,9}$/, `${field} must be a whole number of seconds`)
    .transform(Number);

const agentIdParam = z
  .string()
  .regex(/^\d{1,15}$/, "agent_id must be an agent's id")
  .transform(Number)
  .optional();

const InboundCall = z.object({
  CallSid: callSid("CallSid"),
  From: z.string().max(64).default(""),
  To: z.string().max(64).default(""),
});
const QueueResultCallback = z.object({
  CallSid: callSid("CallSid"),
  QueueResult: z.enum(queueResults, {
    error: `QueueResult must be one of ${queueResults.join(", ")}`,
  }),
  QueueTime: seconds("QueueTime"),
  QueueSid: z.string().max(64).optional(),
});
const AgentLeg = z.object({ From: z.string().max(64).optional() });
const DequeuedCaller = z.object({
  CallSid: callSid("CallSid"),
  QueueTime: seconds("QueueTime").optional(),
  QueueSid: z.string().max(64).optional(),
});

function parsed<T extends z.ZodType>(schema: T, input: unknown, target: string): z.output<T> {
  const result = schema.safeParse(input);
  if (!result.success) throw validationError(result.error, target);
  return result.data;
}

/** A call-queue callback about a call we never saw: kept in the log, warned about, harmless. */
function unknownCall(c: Context<AppEnv>, callSid: string, webhookLogId: number) {
  c.get("logger").warn(
    { callSid, webhookLogId, path: c.req.path },
    "call-queue callback for a CallSid that is no inbound call of ours",
  );
}

function twiml(c: Context<AppEnv>, response: { toString(): string }) {
  return c.body(response.toString(), 200, { "content-type": "text/xml" });
}

export function twilioCallQueueRoutes({ db, twilio }: TwilioCallQueueDependencies) {
  const app = new Hono<AppEnv>();
  const url = (path: string) => `${twilio.publicBaseUrl}/webhooks/twilio/voice/${path}`;

  const callQueueOf = async (c: Context<AppEnv>) => {
    const ref = c.req.query("call_queue");
    if (!ref) {
      throw new ApiError(400, "validation_failed", "Invalid query: call_queue", [
        { path: "call_queue", message: "call_queue is required (a call queue's name or id)" },
      ]);
    }
    const callQueue = await callQueueFind(db, ref);
    if (!callQueue) {
      throw new ApiError(400, "validation_failed", "Invalid query: call_queue", [
        { path: "call_queue", message: `no call queue "${ref}"` },
      ]);
    }
    return callQueue;
  };

  const agentOf = async (c: Context<AppEnv>, from: string | undefined) => {
    const agentId = parsed(
      z.object({ agent_id: agentIdParam }),
      { agent_id: c.req.query("agent_id") },
      "query",
    ).agent_id;
    const agent = await agentFind(db, { agentId, phoneNumber: from });
    if (!agent) {
      throw new ApiError(400, "validation_failed", "Invalid query: agent_id", [
        {
          path: "agent_id",
          message:
            agentId === undefined
              ? "agent_id is required unless From is an agent's phone number"
              : `no agent ${agentId}`,
        },
      ]);
    }
    return agent;
  };

  app.post("/webhooks/twilio/voice/inbound", async (c) => {
    const { params, url: signedUrl } = await verifiedTwilioForm(c, twilio);
    const caller = parsed(InboundCall, params, "callback");
    const callQueue = await callQueueOf(c);
    await db.transaction().execute((trx) =>
      logAndApplyWebhook(trx, { kind: "inbound-call", url: signedUrl, params }, () =>
        inboundCallEnqueue(trx, {
          callSid: caller.CallSid,
          from: caller.From,
          to: caller.To,
          callQueueId: callQueue.id,
        }),
      ),
    );
    const response = new twilioSdk.twiml.VoiceResponse();
    response.enqueue(
      { action: url("queue-result"), waitUrl: url("queue-wait"), method: "POST" },
      callQueue.name,
    );
    return twiml(c, response);
  });

  app.post("/webhooks/twilio/voice/queue-wait", async (c) => {
    await verifiedTwilioForm(c, twilio);
    const response = new twilioSdk.twiml.VoiceResponse();
    response.say("All our agents are busy. Please stay on the line.");
    response.pause({ length: 20 });
    return twiml(c, response);
  });

  app.post("/webhooks/twilio/voice/queue-result", async (c) => {
    const { params, url: signedUrl } = await verifiedTwilioForm(c, twilio);
    const result = parsed(QueueResultCallback, params, "callback");
    const { applied, log } = await db.transaction().execute((trx) =>
      logAndApplyWebhook(trx, { kind: "call-queue-result", url: signedUrl, params }, () =>
        queueResultApply(trx, {
          callSid: result.CallSid,
          queueResult: result.QueueResult,
          queueTime: result.QueueTime,
          queueSid: result.QueueSid,
        }),
      ),
    );
    if (!applied && log.duplicate_of === null) unknownCall(c, result.CallSid, log.id);
    return twiml(c, new twilioSdk.twiml.VoiceResponse());
  });

  app.post("/webhooks/twilio/voice/agent", async (c) => {
    const { params, url: signedUrl } = await verifiedTwilioForm(c, twilio);
    const leg = parsed(AgentLeg, params, "callback");
    const callQueue = await callQueueOf(c);
    const agent = await agentOf(c, leg.From);
    await db
      .transaction()
      .execute((trx) =>
        logAndApplyWebhook(trx, { kind: "agent-leg", url: signedUrl, params }, () =>
          recordAgentState(trx, { agentId: agent.id, state: "available" }),
        ),
      );
    const response = new twilioSdk.twiml.VoiceResponse();
    response
      .dial()
      .queue(
        { url: `${url("agent-answer")}?agent_id=${agent.id}`, method: "POST" },
        callQueue.name,
      );
    return twiml(c, response);
  });

  app.post("/webhooks/twilio/voice/agent-answer", async (c) => {
    const { params, url: signedUrl } = await verifiedTwilioForm(c, twilio);
    const caller = parsed(DequeuedCaller, params, "callback");
    const agent = await agentOf(c, undefined);
    const { applied, log } = await db.transaction().execute((trx) =>
      logAndApplyWebhook(trx, { kind: "agent-answer", url: signedUrl, params }, () =>
        agentAnswerApply(trx, {
          callSid: caller.CallSid,
          agentId: agent.id,
          queueTime: caller.QueueTime,
          queueSid: caller.QueueSid,
        }),
      ),
    );
    if (!applied && log.duplicate_of === null) {
      unknownCall(c, caller.CallSid, log.id);
      return twiml(c, new twilioSdk.twiml.VoiceResponse());
    }
    const response = new twilioSdk.twiml.VoiceResponse();
    response.say("Connecting you to an agent.");
    return twiml(c, response);
  });

  return app;
}
