/**
 * Every lane as `GET /api/lanes` and the dashboard show it: priority, concurrency (the
 * configured one, else the lane's default), whether it is paused, the worker types that serve
 * it, and its live backlog from `laneStats` (fleet.ts).
 */
import type { Db } from "../database/pool.ts";
import { laneListPaused } from "../engine/control/laneState.ts";
import {
  defaultLanes,
  type LaneName,
  laneNames,
  lanesByWorkerType,
  workerTypes,
} from "../engine/lanes.ts";
import { laneBacklog } from "./fleet.ts";

export interface LaneView {
  lane: LaneName;
  priority: number;
  concurrency: number;
  paused: boolean;
  worker_types: string[];
  queued: number;
  scheduled: number;
  running: number;
  retrying: number;
  /** Due and not running: queued, retrying, and scheduled ones whose time has come. */
  waiting: number;
  oldest_waiting_seconds: number | null;
}

export async function laneList(
  db: Db,
  laneConcurrency: Partial<Record<string, number>>,
): Promise<LaneView[]> {
  const [stats, paused] = await Promise.all([laneBacklog(db), laneListPaused(db)]);
  return laneNames.map((lane) => {
    const s = stats.get(lane);
    return {
      lane,
      priority: defaultLanes[lane].priority,
      concurrency: laneConcurrency[lane] ?? defaultLanes[lane].concurrency,
      paused: paused.has(lane),
      worker_types: workerTypes.filter(
        (type) => type !== "all" && lanesByWorkerType[type].includes(lane),
      ),
      queued: s?.queued ?? 0,
      scheduled: s?.scheduled ?? 0,
      running: s?.running ?? 0,
      retrying: s?.retrying ?? 0,
      waiting: s?.waiting ?? 0,
      oldest_waiting_seconds: s?.oldest_waiting_seconds ?? null,
    };
  });
}
