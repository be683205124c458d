/**
 * Lanes are what Celery calls queues: every task belongs to one, and a lane has a priority and
 * a concurrency. They are not graphile-worker queue names (those run jobs one at a time); a lane
 * maps to job priority plus the runner that fetches its tasks.
 */
import type { LaneName, WorkerType } from "../shared/lanes.ts";
import { laneNames } from "../shared/lanes.ts";

export {
  isWorkerType,
  type LaneName,
  laneNames,
  type WorkerType,
  workerTypes,
} from "../shared/lanes.ts";

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

/** The lanes each worker type serves; together they cover every lane. */
export const lanesByWorkerType: Record<WorkerType, readonly LaneName[]> = {
  realtime: ["webhooks", "realtime", "notifications", "email"],
  processing: ["recordings", "analytics", "retries"],
  reports: ["reports", "exports"],
  maintenance: ["maintenance"],
  all: laneNames,
};
