/**
 * The local mail sink over HTTP (read scope): what Switchboard sent while no SMTP_URL was set.
 * - `GET /api/mail/`: messages newest first, paged (`next_cursor` → `cursor`);
 * - `GET /api/mail/{id}/`: one message parsed (headers, text, HTML, attachments); with `?raw=1`,
 *   or at `/api/mail/{id}/raw`, the `.eml` file itself as message/rfc822.
 * Ids are checked against their pattern before any file is opened, so no path leaves MAIL_DIR.
 */
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { EmailService } from "../../callCenter/services.ts";
import { MailNotFoundError, mailGet, mailGetRaw, mailList } from "../../email/mailbox.ts";
import { MAIL_ID_PATTERN } from "../../email/mailFiles.ts";
import type { AppEnv } from "../context.ts";
import { ApiError } from "../errors.ts";
import { requireScope } from "../middleware/authenticate.ts";
import { errorResponses, json, notFoundResponse } from "../openapi.ts";

export interface MailRoutesDependencies {
  email: Pick<EmailService, "mailDir">;
}

const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 200;

const mailId = (field: string) =>
  z
    .string()
    .regex(
      MAIL_ID_PATTERN,
      `${field} must be a message id such as 20261206T134501123Z-a1b2c3d4e5f6`,
    );

const ListQuery = z.object({
  limit: z.coerce
    .number({ error: "limit must be a number" })
    .int({ error: "limit must be a whole number" })
    .min(1, { error: "limit must be at least 1" })
    .max(MAX_LIMIT, { error: `limit must be at most ${MAX_LIMIT}` })
    .default(DEFAULT_LIMIT)
    .openapi({ description: `page size, 1-${MAX_LIMIT}`, example: DEFAULT_LIMIT }),
  cursor: mailId("cursor").optional().openapi({ description: "next_cursor of the previous page" }),
});

const IdParam = z.object({
  id: mailId("id").openapi({ param: { name: "id", in: "path" } }),
});

const MessageQuery = z.object({
  raw: z
    .enum(["1", "true", "0", "false"], { error: "raw must be 1 or 0" })
    .optional()
    .openapi({ description: "1: the .eml file as message/rfc822" }),
});

const MailSummarySchema = z
  .object({
    id: z.string(),
    from: z.string(),
    to: z.array(z.string()),
    subject: z.string(),
    date: z.string(),
    size: z.number().int(),
    attachments: z.array(z.string()),
  })
  .openapi("MailSummary");

const MailPageSchema = z
  .object({ items: z.array(MailSummarySchema), next_cursor: z.string().nullable() })
  .openapi("MailPage");

const MailMessageSchema = MailSummarySchema.extend({
  message_id: z.string().nullable(),
  headers: z.record(z.string(), z.string()),
  text: z.string().nullable(),
  html: z.string().nullable(),
  attachments_detail: z.array(
    z.object({ filename: z.string(), content_type: z.string(), size: z.number().int() }),
  ),
}).openapi("MailMessage");

const rawResponse = {
  description: "The message as the sink received it",
  content: { "message/rfc822": { schema: z.string().openapi({ format: "binary" }) } },
};

const notFound = (error: unknown, id: string): never => {
  if (error instanceof MailNotFoundError) {
    throw new ApiError(404, "not_found", `No message ${id}`);
  }
  throw error;
};

export function mailRoutes({ email }: MailRoutesDependencies) {
  const app = new OpenAPIHono<AppEnv>();
  const raw = (id: string) =>
    mailGetRaw(email.mailDir, id).then(
      (bytes) =>
        new Response(new Uint8Array(bytes), {
          status: 200,
          headers: {
            "content-type": "message/rfc822",
            "content-disposition": `attachment; filename="${id}.eml"`,
          },
        }),
      (error) => notFound(error, id),
    );

  app.openapi(
    createRoute({
      method: "get",
      path: "/api/mail",
      summary: "Messages kept by the local mail sink, newest first",
      tags: ["mail"],
      middleware: [requireScope("read")] as const,
      request: { query: ListQuery },
      responses: { 200: json(MailPageSchema, "A page of messages"), ...errorResponses },
    }),
    async (c) => {
      const { limit, cursor } = c.req.valid("query");
      const page = await mailList(email.mailDir, { limit, before: cursor });
      return c.json({ items: page.items, next_cursor: page.next }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/api/mail/{id}",
      summary: "One message of the local mail sink, parsed (or raw with ?raw=1)",
      tags: ["mail"],
      middleware: [requireScope("read")] as const,
      request: { params: IdParam, query: MessageQuery },
      responses: {
        200: {
          description: "The message",
          content: {
            "application/json": { schema: MailMessageSchema },
            "message/rfc822": rawResponse.content["message/rfc822"],
          },
        },
        ...errorResponses,
        ...notFoundResponse,
      },
    }),
    // biome-ignore lint/suspicious/noExplicitAny: the raw body is not JSON, which the typed responses cannot express.
    async (c): Promise<any> => {
      const { id } = c.req.valid("param");
      const { raw: wantsRaw } = c.req.valid("query");
      if (wantsRaw === "1" || wantsRaw === "true") return raw(id);
      const message = await mailGet(email.mailDir, id).catch((error) => notFound(error, id));
      return c.json(message, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/api/mail/{id}/raw",
      summary: "One message of the local mail sink as its .eml file",
      tags: ["mail"],
      middleware: [requireScope("read")] as const,
      request: { params: IdParam },
      responses: { 200: rawResponse, ...errorResponses, ...notFoundResponse },
    }),
    (c) => raw(c.req.valid("param").id),
  );

  return app;
}
