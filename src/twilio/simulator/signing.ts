/**
 * Builds a callback request as Twilio sends it: form-encoded POST (or GET with the parameters in
 * the query string), signed in `X-Twilio-Signature` by the SDK's own
 * `getExpectedTwilioSignature` over the exact URL requested.
 */
import { twilioSdk } from "../sdk.ts";
import type { HttpCallbackMethod } from "./state.ts";

export interface SignedCallback {
  url: string;
  init: { method: HttpCallbackMethod; headers: Record<string, string>; body?: string };
}

export function signedCallback(
  authToken: string,
  method: HttpCallbackMethod,
  url: string,
  params: Record<string, string>,
  idempotencyToken: string,
): SignedCallback {
  const headers: Record<string, string> = {
    "user-agent": "TwilioProxy/1.1",
    "i-twilio-idempotency-token": idempotencyToken,
  };
  const form = new URLSearchParams(params).toString();
  if (method === "GET") {
    const target = form ? `${url}${url.includes("?") ? "&" : "?"}${form}` : url;
    headers["x-twilio-signature"] = twilioSdk().getExpectedTwilioSignature(authToken, target, {});
    return { url: target, init: { method, headers } };
  }
  headers["content-type"] = "application/x-www-form-urlencoded";
  headers["x-twilio-signature"] = twilioSdk().getExpectedTwilioSignature(authToken, url, params);
  return { url, init: { method, headers, body: form } };
}
