import { laneStats } from "../../monitoring/fleet.ts";
import type { AlertCondition } from "./condition.ts";

/** `lane_wait`: a lane's oldest waiting job waited longer than `maxWaitSeconds`; one instance per lane. */
export const laneWait: AlertCondition = {
  name: "lane_wait",
  async evaluate(db, settings) {
    const lanes = [...(await laneStats(db)).values()];
    return lanes
      .filter(
        (lane) =>
          lane.oldest_waiting_seconds !== null &&
          lane.oldest_waiting_seconds > settings.maxWaitSeconds,
      )
      .sort((a, b) => a.lane.localeCompare(b.lane))
      .map((lane) => {
        const seconds = Math.round(lane.oldest_waiting_seconds ?? 0);
        return {
          key: lane.lane,
          severity: "critical",
          summary: `lane ${lane.lane}: oldest waiting job is ${seconds} s old`,
          details: {
            lane: lane.lane,
            oldest_waiting_seconds: seconds,
            waiting: lane.waiting,
            threshold_seconds: settings.maxWaitSeconds,
          },
        };
      });
  },
};
