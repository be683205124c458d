/**
 * The payloads of the email tasks, with seed 001's parameter names. Each error names its field
 * (`to_email[2]`, `emails[3].subject`), so a refusal over HTTP or at enqueue says which one is
 * wrong. Sizes are capped so that one message cannot fill the ledger or the mail server.
 */
import { z } from "zod";
import { parseMailbox } from "./addresses.ts";

export const MAX_RECIPIENTS = 50;
export const MAX_SUBJECT_CHARS = 998;
export const MAX_BODY_BYTES = 1024 * 1024;
export const MAX_HTML_BYTES = 2 * 1024 * 1024;
export const MAX_ATTACHMENTS = 10;
export const MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024;
export const MAX_BULK_EMAILS = 10_000;

export const emailPriorities = ["high", "normal", "low"] as const;
export type EmailPriority = (typeof emailPriorities)[number];

const BASE64 = /^[A-Za-z0-9+/\r\n]*={0,2}[\r\n]*$/;

/** Bytes that `content` decodes to, without decoding it. */
export function base64DecodedBytes(content: string): number {
  const clean = content.replace(/[\r\n]/g, "");
  const padding = clean.endsWith("==") ? 2 : clean.endsWith("=") ? 1 : 0;
  return Math.floor((clean.length * 3) / 4) - padding;
}

const utf8Bytes = (text: string) => Buffer.byteLength(text, "utf8");

const isRecipient = (value: string) => parseMailbox(value) !== undefined;

/** The shape first (one message for either form), then each address, named by its index. */
const toEmail = z
  .union([z.string(), z.array(z.string())], {
    error: "to_email must be an email address or a list of them",
  })
  .superRefine((value, ctx) => {
    if (typeof value === "string") {
      if (!isRecipient(value)) {
        ctx.addIssue({
          code: "custom",
          message: "to_email must be an email address such as jane@example.com",
        });
      }
      return;
    }
    if (value.length === 0 || value.length > MAX_RECIPIENTS) {
      ctx.addIssue({
        code: "custom",
        message: `to_email must hold 1 to ${MAX_RECIPIENTS} addresses, not ${value.length}`,
      });
      return;
    }
    value.forEach((address, index) => {
      if (!isRecipient(address)) {
        ctx.addIssue({
          code: "custom",
          path: [index],
          message: `to_email[${index}] must be an email address such as jane@example.com`,
        });
      }
    });
  });

const attachment = z.strictObject(
  {
    filename: z
      .string({ error: "attachments[].filename must be a string" })
      .min(1, "attachments[].filename must not be empty")
      .max(255, "attachments[].filename must be at most 255 characters")
      .refine(
        (name) => !/[\r\n/\\]/.test(name),
        "attachments[].filename must not hold a line break or a slash",
      ),
    content: z
      .string({ error: "attachments[].content must be a base64 string" })
      .regex(BASE64, "attachments[].content must be base64"),
    content_type: z
      .string()
      .regex(
        /^[\w.+-]+\/[\w.+-]+$/,
        "attachments[].content_type must be a MIME type such as text/csv",
      )
      .optional(),
  },
  { error: "each attachment must be an object with filename and content" },
);

export const sendEmailFields = {
  to_email: toEmail,
  subject: z
    .string({ error: "subject must be a string" })
    .min(1, "subject must not be empty")
    .max(MAX_SUBJECT_CHARS, `subject must be at most ${MAX_SUBJECT_CHARS} characters`)
    .refine((subject) => !/[\r\n]/.test(subject), "subject must not hold a line break"),
  body: z
    .string({ error: "body must be a string" })
    .refine((body) => utf8Bytes(body) <= MAX_BODY_BYTES, "body must be at most 1 MB"),
  html: z
    .string({ error: "html must be a string" })
    .refine((html) => utf8Bytes(html) <= MAX_HTML_BYTES, "html must be at most 2 MB")
    .optional(),
  attachments: z
    .array(attachment, { error: "attachments must be a list" })
    .max(MAX_ATTACHMENTS, `attachments must hold at most ${MAX_ATTACHMENTS} files`)
    .refine(
      (files) =>
        files.reduce((total, file) => total + base64DecodedBytes(file.content), 0) <=
        MAX_ATTACHMENT_BYTES,
      "attachments must total at most 5 MB",
    )
    .optional(),
  priority: z
    .enum(emailPriorities, { error: `priority must be one of ${emailPriorities.join(", ")}` })
    .optional(),
};

export const sendEmailPayload = z.strictObject(sendEmailFields);
export type SendEmailPayload = z.output<typeof sendEmailPayload>;

/** The recipients as a list, whichever form `to_email` took. */
export const recipientsOf = (payload: Pick<SendEmailPayload, "to_email">): string[] =>
  Array.isArray(payload.to_email) ? payload.to_email : [payload.to_email];

/** Every bad item is reported on its own, its field named as `emails[3].to_email`. */
const emails = z
  .array(z.unknown(), { error: "emails must be a list" })
  .min(1, "emails must not be empty")
  .max(MAX_BULK_EMAILS, `emails must hold at most ${MAX_BULK_EMAILS} messages`)
  .transform((items, ctx) => {
    const parsed: SendEmailPayload[] = [];
    items.forEach((item, index) => {
      const result = sendEmailPayload.safeParse(item);
      if (result.success) {
        parsed.push(result.data);
        return;
      }
      for (const issue of result.error.issues) {
        const field = issue.path.length > 0 ? `.${issue.path.map(String).join(".")}` : "";
        ctx.addIssue({
          code: "custom",
          path: [index, ...issue.path],
          message: `emails[${index}]${field}: ${issue.message}`,
        });
      }
    });
    return parsed;
  });

export const sendBulkEmailsPayload = z.strictObject({
  emails,
  batch_size: z
    .int({ error: "batch_size must be a whole number" })
    .min(1, "batch_size must be at least 1")
    .max(1000, "batch_size must be at most 1000")
    .default(50),
});
export type SendBulkEmailsPayload = z.output<typeof sendBulkEmailsPayload>;
