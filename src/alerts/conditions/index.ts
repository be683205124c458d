/** Every named alert condition the health check evaluates, in the order it reports them. */
import { circuitOpen } from "./circuitOpen.ts";
import type { AlertCondition } from "./condition.ts";
import { databaseLatency } from "./databaseLatency.ts";
import { deadExecutions } from "./deadExecutions.ts";
import { laneUnserved } from "./laneUnserved.ts";
import { laneWait } from "./laneWait.ts";
import { workerCrashLoop } from "./workerCrashLoop.ts";

export const alertConditions: readonly AlertCondition[] = [
  deadExecutions,
  laneWait,
  laneUnserved,
  circuitOpen,
  databaseLatency,
  workerCrashLoop,
];

export const alertConditionNames = alertConditions.map((condition) => condition.name);
