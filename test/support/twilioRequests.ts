/**
 * Requests as Twilio sends them: form-encoded and signed with `X-Twilio-Signature` over the URL
 * (`signatureFor`, by default the URL posted to).
 */
import twilio from "twilio";

export function signedPost(
  base: string,
  authToken: string,
  path: string,
  params: Record<string, string>,
  signatureFor = `${base}${path}`,
) {
  const signature = twilio.getExpectedTwilioSignature(authToken, signatureFor, params);
  return fetch(base + path, {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      "x-twilio-signature": signature,
    },
    body: new URLSearchParams(params).toString(),
  });
}
