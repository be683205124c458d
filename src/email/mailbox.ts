/**
 * Reading the local mail sink's folder (MAIL_DIR), for `GET /api/mail/` and `switchboard mail`:
 * pages of messages, newest first, and one message parsed with mailparser (or its raw bytes).
 * A folder that does not exist yet holds no messages.
 */
import { readdir, readFile, stat } from "node:fs/promises";
import { type AddressObject, simpleParser } from "mailparser";
import { isMailId, mailFilePath, mailIdOfFile } from "./mailFiles.ts";

export interface MailSummary {
  id: string;
  from: string;
  to: string[];
  subject: string;
  /** The message's Date header, else when the sink kept it (ISO 8601). */
  date: string;
  size: number;
  attachments: string[];
}

export interface MailMessage extends MailSummary {
  message_id: string | null;
  headers: Record<string, string>;
  text: string | null;
  html: string | null;
  attachments_detail: { filename: string; content_type: string; size: number }[];
}

export interface MailPage {
  items: MailSummary[];
  /** The last id of this page when there may be more: pass it as `before`. */
  next: string | null;
}

export class MailNotFoundError extends Error {
  override name = "MailNotFoundError";
}

async function mailIds(mailDir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(mailDir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
  return names
    .map(mailIdOfFile)
    .filter((id): id is string => id !== undefined)
    .sort()
    .reverse();
}

/** Messages newest first; `before` is the `next` of the previous page. */
export async function mailList(
  mailDir: string,
  { limit, before }: { limit: number; before?: string | undefined },
): Promise<MailPage> {
  const ids = (await mailIds(mailDir)).filter((id) => before === undefined || id < before);
  const page = ids.slice(0, limit);
  const items = await Promise.all(page.map((id) => mailGet(mailDir, id)));
  return {
    items: items.map(summary),
    next: ids.length > limit ? (page.at(-1) ?? null) : null,
  };
}

/** The `.eml` file's bytes; `MailNotFoundError` for an unknown or malformed id. */
export async function mailGetRaw(mailDir: string, id: string): Promise<Buffer> {
  if (!isMailId(id)) throw new MailNotFoundError(`no message ${JSON.stringify(id)}`);
  try {
    return await readFile(mailFilePath(mailDir, id));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") {
      throw new MailNotFoundError(`no message ${id}`);
    }
    throw error;
  }
}

export async function mailGet(mailDir: string, id: string): Promise<MailMessage> {
  const raw = await mailGetRaw(mailDir, id);
  const parsed = await simpleParser(raw, { skipImageLinks: true });
  const headers: Record<string, string> = {};
  for (const line of parsed.headerLines) {
    const value = line.line.slice(line.line.indexOf(":") + 1).trim();
    headers[line.key] = headers[line.key] === undefined ? value : `${headers[line.key]}, ${value}`;
  }
  const attachments = parsed.attachments.map((file) => ({
    filename: file.filename ?? "(unnamed)",
    content_type: file.contentType,
    size: file.size,
  }));
  const received = await stat(mailFilePath(mailDir, id)).then((file) => file.mtime);
  return {
    id,
    from: parsed.from?.text ?? "",
    to: addresses(parsed.to),
    subject: parsed.subject ?? "",
    date: (parsed.date ?? received).toISOString(),
    size: raw.length,
    attachments: attachments.map((file) => file.filename),
    message_id: parsed.messageId ?? null,
    headers,
    text: parsed.text ?? null,
    html: typeof parsed.html === "string" ? parsed.html : null,
    attachments_detail: attachments,
  };
}

function addresses(field: AddressObject | AddressObject[] | undefined): string[] {
  const list = field === undefined ? [] : Array.isArray(field) ? field : [field];
  return list.flatMap((object) => object.value.map((mailbox) => mailbox.address ?? mailbox.name));
}

function summary(message: MailMessage): MailSummary {
  const { id, from, to, subject, date, size, attachments } = message;
  return { id, from, to, subject, date, size, attachments };
}
