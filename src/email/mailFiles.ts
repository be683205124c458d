/**
 * The local mail sink's folder: one `.eml` file per message, named by its id. An id is the time
 * the sink received the message and a random suffix (`20261206T134501123Z-a1b2c3d4e5f6`), so ids
 * sort by arrival and cannot name anything outside the folder.
 */
import { randomBytes } from "node:crypto";
import path from "node:path";

export const MAIL_ID_PATTERN = /^\d{8}T\d{9}Z-[0-9a-f]{12}$/;

export const isMailId = (value: string) => MAIL_ID_PATTERN.test(value);

export function newMailId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:.]/g, "");
  return `${stamp}-${randomBytes(6).toString("hex")}`;
}

/** The file of message `id`; the id must have been checked with `isMailId`. */
export function mailFilePath(mailDir: string, id: string): string {
  if (!isMailId(id)) throw new RangeError(`not a mail id: ${JSON.stringify(id)}`);
  return path.join(mailDir, `${id}.eml`);
}

/** The id of `fileName` when it is a message's file. */
export function mailIdOfFile(fileName: string): string | undefined {
  const id = fileName.endsWith(".eml") ? fileName.slice(0, -4) : "";
  return isMailId(id) ? id : undefined;
}
