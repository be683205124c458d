/**
 * A message's `priority` as its job's priority within the `email` lane: `high` runs before
 * `normal`, which runs before `low`. send_email declares it as its `jobPriority`, so every way of
 * enqueueing it (the API, a bulk fan-out, a report) honours it; the X-Priority header is set
 * from the same field when the message is sent.
 */
import { defaultLanes } from "../engine/lanes.ts";
import type { EmailPriority } from "./payload.ts";

const offsets: Record<EmailPriority, number> = { high: 1, normal: 0, low: -1 };

export function emailJobPriority(priority: EmailPriority | undefined): number {
  return defaultLanes.email.priority + offsets[priority ?? "normal"];
}
