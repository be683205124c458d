import { deadExecutionCount } from "../../monitoring/deadExecutions.ts";
import type { AlertCondition } from "./condition.ts";

/** `dead_executions`: at least `deadExecutions` executions ended dead in the window. */
export const deadExecutions: AlertCondition = {
  name: "dead_executions",
  async evaluate(db, settings) {
    const dead = await deadExecutionCount(db, settings.windowMinutes);
    if (dead < settings.deadExecutions) return [];
    return [
      {
        key: "",
        severity: "critical",
        summary: `${dead} executions ended dead in the last ${settings.windowMinutes} min`,
        details: {
          dead,
          window_minutes: settings.windowMinutes,
          threshold: settings.deadExecutions,
        },
      },
    ];
  },
};
