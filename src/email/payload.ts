/** The payload of `send_email` (seed 001's arguments). */
import { z } from "zod";

const MAX_BODY_CHARS = 1024 * 1024;
const MAX_HTML_CHARS = 2 * 1024 * 1024;

/** An address as `local@domain`, without display name. */
export const emailAddress = z
  .string()
  .trim()
  .max(320)
  .regex(/^[^\s@<>(),;:"[\]\\]+@[^\s@<>(),;:"[\]\\]+\.[^\s@<>(),;:"[\]\\]+$/, {
    message: "expected an email address such as ops@example.com",
  });

export const sendEmailPayload = z
  .object({
    to_email: z.union([emailAddress, z.array(emailAddress).min(1).max(50)]),
    subject: z
      .string()
      .min(1)
      .max(998)
      .refine((value) => !/[\r\n]/.test(value), { message: "must be one line" }),
    body: z.string().max(MAX_BODY_CHARS),
    html: z.string().max(MAX_HTML_CHARS).optional(),
    attachments: z
      .array(
        z
          .object({
            filename: z.string().min(1).max(255),
            content: z.base64(),
            content_type: z.string().min(1).max(255).optional(),
          })
          .strict(),
      )
      .max(10)
      .optional(),
    priority: z.enum(["high", "normal", "low"]).optional(),
  })
  .strict();

export type SendEmailPayload = z.infer<typeof sendEmailPayload>;
