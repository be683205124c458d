/**
 * Reads a Twilio webhook's form after checking its `X-Twilio-Signature` against our public URL:
 * a body that is not form-encoded is refused with 415, a missing or bad signature with 403.
 */
import type { Context } from "hono";
import type { TwilioService } from "../callCenter/services.ts";
import { isValidTwilioSignature } from "../webhooks/signature.ts";
import type { AppEnv } from "./context.ts";
import { ApiError } from "./errors.ts";

export async function verifiedTwilioForm(
  c: Context<AppEnv>,
  twilio: Pick<TwilioService, "authToken" | "publicBaseUrl">,
): Promise<{ params: Record<string, string>; url: string }> {
  const type = c.req.header("content-type") ?? "";
  if (!type.startsWith("application/x-www-form-urlencoded")) {
    throw new ApiError(415, "unsupported_media_type", "Twilio webhooks are form-encoded");
  }
  const form = await c.req.parseBody();
  const params = Object.fromEntries(
    Object.entries(form).filter((entry): entry is [string, string] => typeof entry[1] === "string"),
  );
  const url = new URL(c.req.url);
  const valid = isValidTwilioSignature({
    authToken: twilio.authToken,
    publicBaseUrl: twilio.publicBaseUrl,
    pathWithQuery: url.pathname + url.search,
    signature: c.req.header("x-twilio-signature"),
    params,
  });
  if (!valid) {
    c.get("logger").warn({ path: url.pathname }, "refused a webhook with a bad signature");
    throw new ApiError(403, "invalid_signature", "Missing or invalid X-Twilio-Signature");
  }
  return { params, url: twilio.publicBaseUrl + url.pathname + url.search };
}
