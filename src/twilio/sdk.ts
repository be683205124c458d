/**
 * The twilio SDK, loaded on first use rather than at import: it holds ~35 MB once loaded, which
 * a process that never talks to Twilio (a `reports` worker) should not pay. Import its types with
 * `import type twilio from "twilio"`; call `twilioSdk()` where a value is needed.
 *
 * @example
 * const signature = twilioSdk().getExpectedTwilioSignature(authToken, url, params);
 */
import { createRequire } from "node:module";
import type twilio from "twilio";

const require = createRequire(import.meta.url);
let sdk: typeof twilio | undefined;

export function twilioSdk(): typeof twilio {
  sdk ??= require("twilio") as typeof twilio;
  return sdk;
}
