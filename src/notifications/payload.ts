/**
 * The send_notification payload (seeds 001 and 003). Exactly one recipient source:
 * - `agent_id`: an agent (migrations/0004), reached at its `email` and `phone_number`;
 * - `user_id`: seed 001's and 003's name for the same thing: Switchboard's users are its agents,
 *   so it names an agent by id (a number, or a string of digits);
 * - `to`: one address, an email address or an E.164 phone number.
 *
 * With `to`, every channel asked for must fit the address (`sms` needs a phone number, `email`
 * an email address), or the payload is refused naming `channels`: nothing could be sent there.
 * An agent's missing address is known only when the job runs: that channel is skipped, with the
 * reason in the result.
 */
import { z } from "zod";
import { E164_PATTERN } from "../calls/payloads.ts";
import { SMS_MAX_CHARACTERS } from "../twilio/sendSms.ts";

export const notificationChannels = ["email", "sms"] as const;
export type NotificationChannel = (typeof notificationChannels)[number];

const email = z.email();

/** What `to` holds: an email address, a phone number, or neither. */
export function addressKind(to: string): "email" | "phone" | undefined {
  if (E164_PATTERN.test(to)) return "phone";
  return email.safeParse(to).success ? "email" : undefined;
}

/** The SMS text of a notification: its title on the first line, then the message. */
export const smsText = (title: string, message: string) => `${title}\n${message}`;

const agentId = (field: string) =>
  z
    .number({ error: `${field} must be an agent id (a positive integer)` })
    .int(`${field} must be an agent id (a positive integer)`)
    .positive(`${field} must be an agent id (a positive integer)`);

export const sendNotificationPayload = z
  .strictObject({
    agent_id: agentId("agent_id").optional(),
    to: z.string({ error: "to must be a string" }).max(320, "to is too long").optional(),
    user_id: z
      .union([
        agentId("user_id"),
        z.string().regex(/^[1-9]\d{0,14}$/, "user_id must be an agent id (a positive integer)"),
      ])
      .optional(),
    notification_type: z
      .string({ error: "notification_type must be a string" })
      .min(1, "notification_type must not be empty")
      .max(64, "notification_type must be at most 64 characters"),
    title: z
      .string({ error: "title must be a string" })
      .min(1, "title must not be empty")
      .max(200, "title must be at most 200 characters")
      .refine((title) => !/[\r\n]/.test(title), "title must be one line"),
    message: z
      .string({ error: "message must be a string" })
      .min(1, "message must not be empty")
      .max(100_000, "message must be at most 100000 characters"),
    channels: z
      .array(z.enum(notificationChannels, { error: 'each channel must be "email" or "sms"' }), {
        error: "channels must be a list",
      })
      .min(1, "channels must not be empty")
      .refine((channels) => new Set(channels).size === channels.length, {
        message: "channels must not repeat a channel",
      })
      .default(["email"]),
  })
  .superRefine((payload, ctx) => {
    const sources = (["agent_id", "user_id", "to"] as const).filter(
      (field) => payload[field] !== undefined,
    );
    if (sources.length !== 1) {
      ctx.addIssue({
        code: "custom",
        path: [sources[1] ?? "to"],
        message: "give exactly one recipient: agent_id, user_id or to",
      });
    }
    if (payload.to !== undefined) {
      const kind = addressKind(payload.to);
      if (!kind) {
        ctx.addIssue({
          code: "custom",
          path: ["to"],
          message: "to must be an email address or an E.164 phone number (e.g. +14155550100)",
        });
      } else {
        for (const channel of payload.channels) {
          const needs = channel === "sms" ? "phone" : "email";
          if (kind !== needs) {
            ctx.addIssue({
              code: "custom",
              path: ["channels"],
              message: `the ${channel} channel needs ${needs === "phone" ? "a phone number" : "an email address"} in to`,
            });
          }
        }
      }
    }
    const smsLength = [...smsText(payload.title, payload.message)].length;
    if (payload.channels.includes("sms") && smsLength > SMS_MAX_CHARACTERS) {
      ctx.addIssue({
        code: "custom",
        path: ["message"],
        message: `title and message must fit one SMS (${SMS_MAX_CHARACTERS} characters) with the sms channel`,
      });
    }
  });

export type SendNotificationPayload = z.output<typeof sendNotificationPayload>;
