/**
 * New intents asked for later: a call at a given time (`schedule_call`) and another try at a
 * call that ended busy, no-answer or failed (`retry_failed_call`). Each writes the intent and
 * its queue_outbound_call job in one transaction; a rerun of the asking job returns the same
 * intent (the dial job is enqueued with a job key while it waits).
 */
import type { Db } from "../database/pool.ts";
import type { Call } from "../database/schema.ts";
import type { AnyTask, TaskContext } from "../engine/task.ts";
import {
  CallInputError,
  callGetByPublicId,
  enqueueCall,
  executionIntentKey,
  type QueuedCall,
} from "./callIntents.ts";
import type { RetryFailedCallPayload, ScheduleCallPayload } from "./payloads.ts";

/** The task asking, if one asks: its call is keyed to its execution, so a re-run finds it again. */
type Asking = Pick<TaskContext, "executionId" | "taskName">;

const jobKeyOf = (ctx: Asking) => `${ctx.taskName}:${ctx.executionId}`;

/** Enqueues the call for `schedule_time` (now, if that has just passed). */
export function scheduleCall(
  db: Db,
  dialTask: AnyTask,
  payload: ScheduleCallPayload,
  ctx?: Asking,
): Promise<QueuedCall> {
  return enqueueCall(db, dialTask, {
    to_number: payload.to_number,
    from_number: payload.from_number,
    call_metadata: payload.call_metadata,
    webhook_url: payload.webhook_url,
    status_callback_url: payload.status_callback_url,
    runAt: new Date(payload.schedule_time),
    ...(ctx ? { jobKey: jobKeyOf(ctx), parentId: ctx.executionId } : {}),
  });
}

/** The statuses a call may be retried from. */
export const retryableCallStatuses = ["busy", "no-answer", "failed"] as const;

export interface RetriedCall extends QueuedCall {
  /** The failed call's public id. */
  retry_of: string;
}

/** A new intent to the number of a call that ended busy, no-answer or failed. */
export async function retryFailedCall(
  db: Db,
  dialTask: AnyTask,
  payload: RetryFailedCallPayload,
  ctx?: Asking,
): Promise<RetriedCall> {
  const original = await findOriginalCall(db, payload);
  if (!(retryableCallStatuses as readonly string[]).includes(original.status)) {
    throw new CallInputError(
      payload.call_id ? "call_id" : payload.original_task_id ? "original_task_id" : "to_number",
      `call ${original.public_id} is ${original.status}; only ${retryableCallStatuses.join(", ")} calls are retried`,
    );
  }
  const metadata = (original.metadata ?? {}) as Record<string, unknown>;
  const queued = await enqueueCall(db, dialTask, {
    to_number: original.to_number,
    from_number: original.from_number || undefined,
    call_metadata: metadata,
    extraMetadata: { retry_of: original.public_id },
    runAt: new Date(Date.now() + payload.retry_delay * 1000),
    ...(ctx ? { jobKey: jobKeyOf(ctx), parentId: ctx.executionId } : {}),
  });
  return { ...queued, retry_of: original.public_id };
}

async function findOriginalCall(db: Db, payload: RetryFailedCallPayload): Promise<Call> {
  if (payload.call_id) {
    const call = await callGetByPublicId(db, payload.call_id);
    if (!call) throw new CallInputError("call_id", `no call ${payload.call_id}`);
    return call;
  }
  if (payload.original_task_id) {
    const byIntent = await db
      .selectFrom("calls")
      .selectAll()
      .where("intent_key", "=", executionIntentKey(payload.original_task_id))
      .executeTakeFirst();
    if (byIntent) return byIntent;
    // A dial job given its call by id (campaigns, the HTTP API) names it in its payload.
    const execution = await db
      .selectFrom("executions")
      .select("payload")
      .where("public_id", "=", payload.original_task_id)
      .where("task_name", "=", "queue_outbound_call")
      .executeTakeFirst();
    const callId = (execution?.payload as { call_id?: unknown } | undefined)?.call_id;
    const call = typeof callId === "string" ? await callGetByPublicId(db, callId) : undefined;
    if (!call) {
      throw new CallInputError(
        "original_task_id",
        `no call placed by task ${payload.original_task_id}`,
      );
    }
    return call;
  }
  const latest = await db
    .selectFrom("calls")
    .selectAll()
    .where("to_number", "=", payload.to_number as string)
    .where("direction", "=", "outbound-api")
    .orderBy("created_at", "desc")
    .orderBy("id", "desc")
    .limit(1)
    .executeTakeFirst();
  if (!latest) throw new CallInputError("to_number", `no call to ${payload.to_number}`);
  return latest;
}
