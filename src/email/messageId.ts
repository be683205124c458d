/**
 * A message's Message-ID comes from its execution, not from the attempt: every attempt of one
 * `send_email` execution sends the same `<execution-id@sender-domain>`, so a message that a
 * server accepted but whose reply was lost, and that is then sent again, is recognisable as the
 * same message (and dropped as a duplicate by servers and clients that dedupe on it).
 */
import { parseMailbox } from "./addresses.ts";

export function executionMessageId(executionId: string, from: string): string {
  const address = parseMailbox(from)?.address ?? "";
  const domain = address.slice(address.lastIndexOf("@") + 1) || "switchboard.invalid";
  return `<${executionId}@${domain}>`;
}
