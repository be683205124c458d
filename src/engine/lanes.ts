/**
 * Lanes are what Celery calls queues: every task belongs to one, and a lane has a priority and
 * a concurrency. They are not graphile-worker queue names (those run jobs one at a time); a lane
 * maps to job priority plus the runner that fetches its tasks.
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

export interface LaneSettings {
  /** Higher runs first (10 = webhooks). */
  priority: number;
  /** Jobs of this lane one worker process runs at once. */
  concurrency: number;
}

export const defaultLanes: Record<LaneName, LaneSettings> = {
  webhooks: { priority: 10, concurrency: 4 },
  realtime: { priority: 9, concurrency: 4 },
  notifications: { priority: 8, concurrency: 4 },
  recordings: { priority: 6, concurrency: 2 },
  analytics: { priority: 5, concurrency: 2 },
  reports: { priority: 3, concurrency: 1 },
  exports: { priority: 2, concurrency: 1 },
  maintenance: { priority: 1, concurrency: 2 },
  email: { priority: 3, concurrency: 2 },
  retries: { priority: 4, concurrency: 2 },
};

export const workerTypes = ["realtime", "processing", "reports", "maintenance", "all"] as const;

export type WorkerType = (typeof workerTypes)[number];

/** The lanes each worker type serves; together they cover every lane. */
export const lanesByWorkerType: Record<WorkerType, readonly LaneName[]> = {
  realtime: ["webhooks", "realtime", "notifications", "email"],
  processing: ["recordings", "analytics", "retries"],
  reports: ["reports", "exports"],
  maintenance: ["maintenance"],
  all: laneNames,
};

export function isWorkerType(value: string): value is WorkerType {
  return (workerTypes as readonly string[]).includes(value);
}

/**
 * graphile-worker runs the lowest priority number first; lanes speak "higher is more urgent",
 * so a lane's priority is stored negated on its jobs.
 */
export function jobPriority(lane: LaneSettings): number {
  return -lane.priority;
}
