/**
 * HTTP Basic auth as Twilio checks it: the account sid and auth token, and the account in the
 * path must be that account. Recording media is served without credentials, as Twilio does by
 * default.
 */
import { timingSafeEqual } from "node:crypto";
import type { MiddlewareHandler } from "hono";
import { twilioError } from "./errors.ts";

const MEDIA = /^\/2010-04-01\/Accounts\/[^/]+\/Recordings\/RE[0-9a-f]{32}(\.wav|\.mp3)?$/;
const ACCOUNT = /^\/2010-04-01\/Accounts\/([^/]+)\//;

function same(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

export function basicAuth(accountSid: string, authToken: string): MiddlewareHandler {
  const expected = `${accountSid}:${authToken}`;
  return async function checkCredentials(c, next) {
    const account = ACCOUNT.exec(c.req.path)?.[1];
    if (account !== undefined && account !== accountSid) {
      return twilioError(c, 404, 20404, `The requested resource ${c.req.path} was not found`);
    }
    if (c.req.method === "GET" && MEDIA.test(c.req.path)) return next();
    const header = c.req.header("authorization") ?? "";
    const credentials = header.startsWith("Basic ")
      ? Buffer.from(header.slice(6), "base64").toString("utf8")
      : "";
    if (!same(credentials, expected)) {
      return twilioError(c, 401, 20003, "Authenticate", {
        "WWW-Authenticate": 'Basic realm="Twilio API"',
      });
    }
    return next();
  };
}
