/**
 * The one JSON error format of the API:
 * `{ "error": { "code", "message", "details": [{ "path", "message" }] } }`.
 * Expected failures are thrown as `ApiError`; a database that cannot be reached gives 503
 * `database_unavailable`; anything else becomes a 500 whose body carries no stack trace or SQL.
 */
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { ZodError } from "zod";
import { isDatabaseUnavailable } from "../database/unavailable.ts";

export interface ErrorDetail {
  path: string;
  message: string;
}

export interface ErrorBody {
  error: { code: string; message: string; details: ErrorDetail[] };
}

export class ApiError extends HTTPException {
  readonly code: string;
  readonly details: ErrorDetail[];
  constructor(
    status: ContentfulStatusCode,
    code: string,
    message: string,
    details: ErrorDetail[] = [],
  ) {
    super(status, { message });
    this.code = code;
    this.details = details;
  }
}

export function errorBody(code: string, message: string, details: ErrorDetail[] = []): ErrorBody {
  return { error: { code, message, details } };
}

export function zodDetails(error: ZodError): ErrorDetail[] {
  return error.issues.map((issue) => ({
    path: issue.path.map(String).join(".") || "(root)",
    message: issue.message,
  }));
}

export function validationError(error: ZodError, target = "request"): ApiError {
  const details = zodDetails(error);
  const fields = details.map((detail) => detail.path).join(", ");
  return new ApiError(400, "validation_failed", `Invalid ${target}: ${fields}`, details);
}

const codeByStatus: Record<number, string> = {
  400: "bad_request",
  401: "unauthorized",
  403: "forbidden",
  404: "not_found",
  405: "method_not_allowed",
  409: "conflict",
  413: "payload_too_large",
  415: "unsupported_media_type",
  422: "unprocessable",
  429: "rate_limited",
  503: "unavailable",
};

export function toErrorResponse(error: unknown, c: Context): Response {
  if (error instanceof ApiError) {
    return c.json(errorBody(error.code, error.message, error.details), error.status);
  }
  if (error instanceof HTTPException) {
    const code = codeByStatus[error.status] ?? "error";
    return c.json(errorBody(code, error.message || code), error.status);
  }
  if (isDatabaseUnavailable(error)) {
    c.get("logger")?.warn({ err: error }, "database unavailable");
    c.header("Retry-After", "5");
    return c.json(
      errorBody("database_unavailable", "The database cannot be reached; try again shortly"),
      503,
    );
  }
  c.get("logger")?.error({ err: error }, "unhandled error");
  return c.json(errorBody("internal", "Internal server error"), 500);
}
