/**
 * The pieces every route's OpenAPI description is built from: a JSON response, a required JSON
 * body, the API's error body and the error responses protected routes share.
 *
 * @example
 * createRoute({
 *   method: "post", path: "/api/calls", request: body(QueueCallBody),
 *   responses: { 202: json(QueuedCallSchema, "Queued"), ...errorResponses },
 * });
 */
import { z } from "@hono/zod-openapi";

/** A response with a JSON body. */
export const json = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { "application/json": { schema } },
});

/** A route's required JSON request body. */
export const body = <T extends z.ZodType>(schema: T) => ({
  body: { content: { "application/json": { schema } }, required: true },
});

export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.string(),
      message: z.string(),
      details: z.array(z.object({ path: z.string(), message: z.string() })),
    }),
  })
  .openapi("Error");

/** The error responses every protected route may give. */
export const errorResponses = {
  400: json(ErrorSchema, "Invalid input"),
  401: json(ErrorSchema, "Missing or invalid token"),
  403: json(ErrorSchema, "Token lacks the scope"),
  429: json(ErrorSchema, "Rate limited"),
} as const;

/** What a route taking a JSON body may answer besides `errorResponses`. */
export const jsonBodyErrorResponses = {
  413: json(ErrorSchema, "The body is larger than API_MAX_BODY_BYTES"),
  415: json(ErrorSchema, "The body is not sent as application/json"),
} as const;

export const notFoundResponse = {
  404: json(ErrorSchema, "Not found"),
} as const;
