/**
 * `GET /api/events`: execution changes as Server-Sent Events, fed by the process's `EventHub`.
 * Optional filters: `?task=<name>` and `?execution=<uuid>` (both must match when both are given).
 *
 * Each event is `event: <kind>` with `data: {"id","task","lane","status","progress","message"}`
 * (`id` is the execution's public id); `failed` events add `"retrying"`. Kinds, by ledger status:
 * - queued, scheduled → `enqueued`. Enqueue publishes nothing (a NOTIFY per enqueue would cost
 *   throughput), so this only appears when a `queued` status comes through the channel.
 * - running → `started` while progress is null or 0, then `progress`. (Progress is kept across
 *   attempts, so a retry that starts after progress was reported shows as `progress`.)
 * - retrying → `failed` with `retrying: true`; dead → `failed` with `retrying: false`.
 * - succeeded → `succeeded`; cancelled → `cancelled`.
 * - expired → `cancelled`: the job was never run because its deadline passed, as Celery reports
 *   an expired task as revoked; `status` still says `expired`.
 * A comment line is sent every 15 s so proxies keep the connection open.
 */
import { Hono } from "hono";
import { streamSSE } from "hono/streaming";
import { z } from "zod";
import type { Pool } from "../../database/pool.ts";
import type { ExecutionStatus } from "../../engine/executionStatus.ts";
import type { AppEnv } from "../context.ts";
import { validationError } from "../errors.ts";
import type { EventHub, ExecutionEvent } from "../events/eventHub.ts";

export type StreamEventKind =
  | "enqueued"
  | "started"
  | "progress"
  | "succeeded"
  | "failed"
  | "cancelled";

export interface EventsDependencies {
  pool: Pool;
  /** Started here on the first request if it is not yet (`start` is idempotent). */
  hub: EventHub;
  /** Default 15 s. */
  heartbeatIntervalMs?: number;
  /** A client this many writes behind is disconnected. Default 1,000. */
  maxPendingWrites?: number;
}

const querySchema = z.object({
  task: z.string().min(1).max(200).optional(),
  execution: z.uuid().optional(),
});

const kindByStatus: Record<Exclude<ExecutionStatus, "running">, StreamEventKind> = {
  queued: "enqueued",
  scheduled: "enqueued",
  retrying: "failed",
  dead: "failed",
  succeeded: "succeeded",
  cancelled: "cancelled",
  expired: "cancelled",
};

export function streamEventKind(event: ExecutionEvent): StreamEventKind {
  if (event.status === "running") return event.progress ? "progress" : "started";
  return kindByStatus[event.status];
}

export function eventsRoutes({
  pool,
  hub,
  heartbeatIntervalMs = 15_000,
  maxPendingWrites = 1_000,
}: EventsDependencies) {
  return new Hono<AppEnv>().get("/api/events", async (c) => {
    const query = querySchema.safeParse(c.req.query());
    if (!query.success) throw validationError(query.error, "query");
    const { task, execution } = query.data;
    await hub.start(pool);
    c.header("X-Accel-Buffering", "no");

    return streamSSE(c, async (stream) => {
      let end = () => {};
      const ended = new Promise<void>((resolve) => {
        end = resolve;
      });
      // Writes go out one after another; a client that stops reading is dropped.
      let writing = Promise.resolve();
      let pending = 0;
      const send = (write: () => Promise<unknown>) => {
        if (pending >= maxPendingWrites) return stream.abort();
        pending++;
        writing = writing
          .then(write)
          .then(() => undefined)
          .finally(() => pending--);
      };

      const unsubscribe = hub.subscribe({
        event: (event) => {
          if (task !== undefined && event.task !== task) return;
          if (execution !== undefined && event.id !== execution) return;
          const kind = streamEventKind(event);
          const data =
            kind === "failed" ? { ...event, retrying: event.status === "retrying" } : event;
          send(() => stream.writeSSE({ event: kind, data: JSON.stringify(data) }));
        },
        closed: end,
      });
      stream.onAbort(() => {
        unsubscribe();
        end();
      });
      if (stream.aborted) end();
      const heartbeat = setInterval(
        () => send(() => stream.write(": heartbeat\n\n")),
        heartbeatIntervalMs,
      );
      try {
        send(() => stream.write(": connected\n\n"));
        await ended;
      } finally {
        clearInterval(heartbeat);
        unsubscribe();
      }
    });
  });
}
