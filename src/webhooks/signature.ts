import twilio from "twilio";

/**
 * Checks `X-Twilio-Signature` the way Twilio computes it: over the public URL Twilio called
 * (our configured `PUBLIC_BASE_URL` plus the path and query — never the Host header, which a
 * caller controls) and the form parameters.
 */
export function isValidTwilioSignature(options: {
  authToken: string;
  publicBaseUrl: string;
  pathWithQuery: string;
  signature: string | undefined;
  params: Record<string, string>;
}): boolean {
  if (!options.signature) return false;
  const url = `${options.publicBaseUrl}${options.pathWithQuery}`;
  return twilio.validateRequest(options.authToken, options.signature, url, options.params);
}
