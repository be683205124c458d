/**
 * nodemailer's SMTP transport for SMTP_URL: `smtps://user:password@host:465` speaks TLS from
 * the start; `smtp://host:587` upgrades with STARTTLS when the server offers it. The local mail
 * sink is plain SMTP on loopback.
 */
import nodemailer, { type Transporter } from "nodemailer";
import type SMTPTransport from "nodemailer/lib/smtp-transport";

export type SmtpTransport = Transporter<SMTPTransport.SentMessageInfo, SMTPTransport.Options>;

export interface SmtpTransportOptions {
  /** Connection, greeting and socket timeouts. Default 30 000. */
  timeoutMs?: number;
}

export function smtpTransportOptions(
  smtpUrl: string,
  { timeoutMs = 30_000 }: SmtpTransportOptions = {},
): SMTPTransport.Options {
  const url = new URL(smtpUrl);
  const secure = url.protocol === "smtps:";
  const user = decodeURIComponent(url.username);
  return {
    host: url.hostname.replace(/^\[(.*)\]$/, "$1"),
    port: url.port ? Number(url.port) : secure ? 465 : 587,
    secure,
    ...(user ? { auth: { user, pass: decodeURIComponent(url.password) } } : {}),
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
  };
}

export function createSmtpTransport(
  smtpUrl: string,
  options: SmtpTransportOptions = {},
): SmtpTransport {
  return nodemailer.createTransport(smtpTransportOptions(smtpUrl, options));
}
