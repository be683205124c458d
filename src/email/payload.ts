/** The payload of `send_email` (seed 001's arguments). */
import { z } from "zod";

export const sendEmailPayload = z.strictObject({
  to_email: z.union([z.email(), z.array(z.email()).min(1).max(50)]),
  subject: z
    .string()
    .min(1)
    .max(998)
    .refine((subject) => !/[\r\n]/.test(subject), "subject must be one line"),
  body: z.string().max(1_000_000),
  html: z.string().max(2_000_000).optional(),
  attachments: z
    .array(
      z.strictObject({
        filename: z.string().min(1),
        content: z.base64(),
        content_type: z.string().optional(),
      }),
    )
    .max(10)
    .optional(),
  priority: z.enum(["high", "normal", "low"]).optional(),
});
