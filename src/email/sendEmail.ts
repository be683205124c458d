/**
 * Sends one `send_email` message over SMTP: takes a token of the shared SMTP rate limit (or
 * snoozes until one is due), then hands the message to nodemailer behind the `smtp` circuit
 * breaker. The server's reply decides what happens next (see smtpErrors.ts): accepted, the
 * result records the reply; 4xx or no connection, the engine retries with backoff; 5xx, the
 * execution ends `dead` with the reply. Recipients are masked in logs and in the result.
 */
import type { EmailService } from "../callCenter/services.ts";
import type { Db } from "../database/pool.ts";
import { SnoozeError } from "../engine/errors.ts";
import {
  type CircuitBreakerOptions,
  circuitBreakerDefaults,
  withCircuitBreaker,
} from "../engine/limits/circuitBreaker.ts";
import { takeRateLimitToken } from "../engine/limits/rateLimit.ts";
import type { Logger } from "../observability/logger.ts";
import { maskEmailAddresses } from "./addresses.ts";
import { executionMessageId } from "./messageId.ts";
import { recipientsOf, type SendEmailPayload } from "./payload.ts";
import { asEngineError, isSmtpOutage } from "./smtpErrors.ts";

export const SMTP_CIRCUIT_BREAKER = "smtp";
export const SMTP_RATE_LIMIT_KEY = "smtp.messages";

export interface SentEmail {
  message_id: string;
  /** The server's reply to the message, e.g. `250 2.0.0 Ok: queued as 4F2`. */
  response: string;
  /** Masked, as logs show them. */
  accepted: string[];
  rejected: string[];
  /** `sink`: kept by the local mail sink; `smtp`: handed to SMTP_URL's server. */
  delivered_to: "sink" | "smtp";
}

export interface SendEmailRequest {
  /** The execution's public id; the Message-ID derives from it. */
  executionId: string;
  logger: Logger;
}

function smtpCircuitBreakerOptions(email: Pick<EmailService, "circuitBreaker">) {
  return {
    ...circuitBreakerDefaults,
    ...email.circuitBreaker,
    isFailure: isSmtpOutage,
  } satisfies CircuitBreakerOptions;
}

const addressText = (value: unknown): string =>
  typeof value === "string" ? value : ((value as { address?: string })?.address ?? "");

export async function sendEmail(
  db: Db,
  email: EmailService,
  payload: SendEmailPayload,
  { executionId, logger }: SendEmailRequest,
): Promise<SentEmail> {
  const token = await takeRateLimitToken(db, SMTP_RATE_LIMIT_KEY, email.rateLimit);
  if (!token.granted) {
    throw new SnoozeError(token.retryAfterMs, "waiting for the SMTP rate limit");
  }
  const recipients = recipientsOf(payload);
  const messageId = executionMessageId(executionId, email.from);
  const info = await withCircuitBreaker(
    db,
    SMTP_CIRCUIT_BREAKER,
    smtpCircuitBreakerOptions(email),
    () =>
      email.transport
        .sendMail({
          from: email.from,
          to: recipients,
          subject: payload.subject,
          text: payload.body,
          ...(payload.html !== undefined ? { html: payload.html } : {}),
          attachments: (payload.attachments ?? []).map((file) => ({
            filename: file.filename,
            content: Buffer.from(file.content, "base64"),
            ...(file.content_type ? { contentType: file.content_type } : {}),
          })),
          messageId,
          ...(payload.priority ? { priority: payload.priority } : {}),
        })
        .catch((error: unknown) => {
          throw asEngineError(error);
        }),
  ).catch((error: unknown) => {
    logger.warn(
      { to: maskEmailAddresses(recipients), messageId, reason: (error as Error)?.message },
      "email not sent",
    );
    throw error;
  });
  const sent: SentEmail = {
    message_id: messageId,
    response: info.response,
    accepted: maskEmailAddresses(info.accepted.map(addressText)),
    rejected: maskEmailAddresses(info.rejected.map(addressText)),
    delivered_to: email.sink ? "sink" : "smtp",
  };
  logger.info({ to: sent.accepted, rejected: sent.rejected, messageId }, "email sent");
  return sent;
}
