/**
 * A message's `priority` as its job's priority within the `email` lane: `high` runs before
 * `normal`, which runs before `low`. (The X-Priority header is set from the same field when the
 * message is sent.) Enqueuers pass these options along with the payload.
 *
 * @example
 * await enqueue(trx, sendEmail, payload, sendEmailJobOptions(payload));
 */
import { defaultLanes } from "../engine/lanes.ts";
import type { EnqueueOptions } from "../engine/types.ts";
import type { EmailPriority } from "./payload.ts";

const offsets: Record<EmailPriority, number> = { high: 1, normal: 0, low: -1 };

export function sendEmailJobOptions(payload: {
  priority?: EmailPriority | undefined;
}): EnqueueOptions {
  return { priority: defaultLanes.email.priority + offsets[payload.priority ?? "normal"] };
}
