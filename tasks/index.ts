/** Every task Switchboard runs; one file per task. */
import type { AnyTask } from "../src/engine/task.ts";
import systemHealthCheck from "./system_health_check.ts";

export const tasks: AnyTask[] = [systemHealthCheck];
