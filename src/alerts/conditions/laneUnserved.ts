import { laneStats, lanesServed, workerList } from "../../monitoring/fleet.ts";
import type { AlertCondition } from "./condition.ts";

/** `lane_unserved`: a lane has jobs waiting and no live worker serves it; one instance per lane. */
export const laneUnserved: AlertCondition = {
  name: "lane_unserved",
  async evaluate(db, settings) {
    const [lanes, workers] = await Promise.all([
      laneStats(db),
      workerList(db, settings.silentAfterMs),
    ]);
    const served = lanesServed(workers);
    return [...lanes.values()]
      .filter((lane) => lane.waiting > 0 && !served.has(lane.lane))
      .sort((a, b) => a.lane.localeCompare(b.lane))
      .map((lane) => ({
        key: lane.lane,
        severity: "critical",
        summary: `lane ${lane.lane}: ${lane.waiting} jobs waiting and no live worker serves it`,
        details: {
          lane: lane.lane,
          waiting: lane.waiting,
          live_workers: workers.filter((worker) => worker.alive).length,
        },
      }));
  },
};
