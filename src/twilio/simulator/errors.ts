/** Twilio's error body: `{ code, message, more_info, status }`. */
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";

export interface TwilioErrorBody {
  code: number;
  message: string;
  more_info: string;
  status: number;
}

export function twilioErrorBody(status: number, code: number, message: string): TwilioErrorBody {
  return { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status };
}

/** An expected failure a route throws; the app's error handler answers with its body. */
export class TwilioApiError extends Error {
  readonly status: ContentfulStatusCode;
  readonly code: number;
  constructor(status: ContentfulStatusCode, code: number, message: string) {
    super(message);
    this.name = "TwilioApiError";
    this.status = status;
    this.code = code;
  }
}

export function twilioError(
  c: Context,
  status: ContentfulStatusCode,
  code: number,
  message: string,
  headers?: Record<string, string>,
) {
  return c.json(twilioErrorBody(status, code, message), status, headers);
}

export const notFound = (path: string) =>
  new TwilioApiError(404, 20404, `The requested resource ${path} was not found`);
