import { z } from "zod";
import { defineTask } from "../src/engine/task.ts";

/**
 * Seed 001's send_email: its name, lane and payload, so that other tasks can enqueue mail.
 * Sending is not built on this branch.
 */
export default defineTask({
  name: "send_email",
  lane: "email",
  payload: z.strictObject({
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
  }),
  run: async () => {
    throw new Error("sending is not built on this branch");
  },
});
