/**
 * The names of lanes and worker types: plain constants that configuration and the engine both
 * read. What a lane is and which lanes a worker type serves is the engine's (src/engine/lanes.ts).
 */
export const laneNames = [
  "webhooks",
  "realtime",
  "notifications",
  "recordings",
  "analytics",
  "reports",
  "exports",
  "maintenance",
  "email",
  "retries",
] as const;

export type LaneName = (typeof laneNames)[number];

export const workerTypes = ["realtime", "processing", "reports", "maintenance", "all"] as const;

export type WorkerType = (typeof workerTypes)[number];

export function isWorkerType(value: string): value is WorkerType {
  return (workerTypes as readonly string[]).includes(value);
}
