/**
 * The send_notification task's work: find the recipient's addresses, then each channel in turn.
 *
 * - `email` enqueues one send_email job, in one transaction with the `notification_emails` row
 *   keyed by this execution: a retry of the execution finds the row and enqueues no second mail.
 * - `sms` sends through `sendSms` under a send key of this execution: a retry never sends the
 *   same SMS twice (src/twilio/sendSms.ts).
 *
 * A channel the recipient has no usable address for is skipped, its reason in the result.
 */

import sendEmail from "../../tasks/send_email.ts";
import type { TwilioService } from "../callCenter/services.ts";
import { E164_PATTERN } from "../calls/payloads.ts";
import type { Db } from "../database/pool.ts";
import { enqueue } from "../engine/enqueue.ts";
import { PermanentError } from "../engine/errors.ts";
import type { TaskContext } from "../engine/types.ts";
import { executionSendKey, sendSms } from "../twilio/sendSms.ts";
import {
  addressKind,
  type NotificationChannel,
  type SendNotificationPayload,
  smsText,
} from "./payload.ts";

export interface Recipient {
  agentId: number | null;
  email: string | null;
  phone: string | null;
}

export interface ChannelOutcome {
  channel: NotificationChannel;
  /**
   * enqueued / already_enqueued (email: the send_email job, by this run or an earlier one);
   * sent / adopted / already_sent (sms, see sendSms); skipped (no usable address: `reason`).
   */
  outcome: "enqueued" | "already_enqueued" | "sent" | "adopted" | "already_sent" | "skipped";
  /** The send_email execution (email). */
  execution_id?: string;
  /** Twilio's MessageSid and the message's status when sent (sms). */
  sid?: string;
  status?: string;
  reason?: string;
}

export interface NotificationResult {
  notification_type: string;
  agent_id: number | null;
  channels: ChannelOutcome[];
}

/** The recipient's addresses: `to` as given, or the agent's (`agent_id`, or `user_id`). */
export async function findRecipient(
  db: Db,
  payload: Pick<SendNotificationPayload, "agent_id" | "user_id" | "to">,
): Promise<Recipient> {
  if (payload.to !== undefined) {
    const kind = addressKind(payload.to);
    return {
      agentId: null,
      email: kind === "email" ? payload.to : null,
      phone: kind === "phone" ? payload.to : null,
    };
  }
  const field = payload.agent_id !== undefined ? "agent_id" : "user_id";
  const id = Number(payload.agent_id ?? payload.user_id);
  const agent = await db
    .selectFrom("agents")
    .select(["id", "email", "phone_number"])
    .where("id", "=", id)
    .executeTakeFirst();
  if (!agent) throw new PermanentError(`${field}: no agent ${id}`);
  return { agentId: agent.id, email: agent.email, phone: agent.phone_number };
}

/** Why the recipient cannot be reached on `channel`, or undefined when it can. */
function unreachable(recipient: Recipient, channel: NotificationChannel): string | undefined {
  const who = recipient.agentId === null ? "the recipient" : `agent ${recipient.agentId}`;
  if (channel === "email") {
    if (!recipient.email) return `${who} has no email address`;
    if (addressKind(recipient.email) !== "email") return `${who}'s email address is not valid`;
    return undefined;
  }
  if (!recipient.phone) return `${who} has no phone number`;
  if (!E164_PATTERN.test(recipient.phone)) return `${who}'s phone number is not E.164`;
  return undefined;
}

export async function sendNotification(
  db: Db,
  twilio: TwilioService,
  payload: SendNotificationPayload,
  ctx: Pick<TaskContext, "executionId" | "logger">,
): Promise<NotificationResult> {
  const recipient = await findRecipient(db, payload);
  const channels: ChannelOutcome[] = [];
  for (const channel of payload.channels) {
    const reason = unreachable(recipient, channel);
    if (reason) {
      channels.push({ channel, outcome: "skipped", reason });
      continue;
    }
    if (channel === "email") {
      channels.push(await enqueueEmail(db, recipient.email as string, payload, ctx.executionId));
    } else {
      const sms = await sendSms(
        db,
        twilio,
        { to: recipient.phone as string, body: smsText(payload.title, payload.message) },
        { sendKey: executionSendKey(ctx.executionId, "notification"), logger: ctx.logger },
      );
      channels.push({ channel, ...sms });
    }
  }
  return { notification_type: payload.notification_type, agent_id: recipient.agentId, channels };
}

/** Enqueues the notification's mail once per execution (see the top of this file). */
function enqueueEmail(
  db: Db,
  email: string,
  payload: SendNotificationPayload,
  executionId: string,
): Promise<ChannelOutcome> {
  return db.transaction().execute(async (trx) => {
    const claimed = await trx
      .insertInto("notification_emails")
      .values({ execution_id: executionId })
      .onConflict((oc) => oc.column("execution_id").doNothing())
      .returning("execution_id")
      .executeTakeFirst();
    if (!claimed) {
      const earlier = await trx
        .selectFrom("notification_emails")
        .select("email_execution_id")
        .where("execution_id", "=", executionId)
        .executeTakeFirstOrThrow();
      return {
        channel: "email",
        outcome: "already_enqueued",
        execution_id: earlier.email_execution_id ?? undefined,
      };
    }
    const id = await enqueue(
      trx,
      sendEmail,
      { to_email: [email], subject: payload.title, body: payload.message },
      { parentId: executionId },
    );
    await trx
      .updateTable("notification_emails")
      .set({ email_execution_id: id })
      .where("execution_id", "=", executionId)
      .execute();
    return { channel: "email", outcome: "enqueued", execution_id: id };
  });
}
