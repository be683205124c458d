/**
 * What an SMTP failure means, read from nodemailer's error (`responseCode`, `response`, `code`):
 * - a 5xx reply refuses the message for good: `PermanentError` carrying the server's reply, so
 *   the execution ends `dead` at once;
 * - a 4xx reply or a failed connection is worth another attempt (the engine's backoff): an
 *   `SmtpSendError`;
 * - the server is unwell — no connection, a timeout, 421 "service not available", a refused
 *   login — counts against the `smtp` circuit breaker; a refusal of one message does not.
 */
import { PermanentError } from "../engine/errors.ts";
import { maskEmailAddressesIn } from "./addresses.ts";

interface SmtpError {
  code?: string;
  responseCode?: number;
  response?: string;
  message?: string;
}

const asSmtpError = (error: unknown): SmtpError =>
  error !== null && typeof error === "object" ? (error as SmtpError) : {};

/** The reply code the server answered with, if it answered. */
export function smtpReplyCode(error: unknown): number | undefined {
  const code = asSmtpError(error).responseCode;
  return typeof code === "number" && code >= 200 && code < 600 ? code : undefined;
}

/** Failures that say the server (or the way to it) is down, for the circuit breaker. */
export function isSmtpOutage(error: unknown): boolean {
  const reply = smtpReplyCode(error);
  if (reply === undefined) return true;
  return reply === 421 || asSmtpError(error).code === "EAUTH";
}

/** A failed send other than a 5xx: retried. Its message has the recipients masked. */
export class SmtpSendError extends Error {
  override name = "SmtpSendError";
  readonly code: string | undefined;
  readonly responseCode: number | undefined;

  constructor(error: SmtpError) {
    super(maskEmailAddressesIn(error.message ?? String(error)));
    this.code = error.code;
    this.responseCode = smtpReplyCode(error);
  }
}

/**
 * nodemailer's error as the engine should see it: a 5xx reply as a `PermanentError` carrying the
 * reply, anything else as a retryable `SmtpSendError`. Addresses in either message are masked,
 * since the engine logs failed attempts; the original error is not kept as the cause for that
 * reason.
 */
export function asEngineError(error: unknown): Error {
  const reply = smtpReplyCode(error);
  if (reply !== undefined && reply >= 500) {
    const response = asSmtpError(error).response ?? String(reply);
    // The reply code and error code stay readable for the circuit breaker (`isSmtpOutage`).
    return Object.assign(
      new PermanentError(`the SMTP server refused the message: ${maskEmailAddressesIn(response)}`),
      { responseCode: reply, code: asSmtpError(error).code },
    );
  }
  return new SmtpSendError(asSmtpError(error));
}
