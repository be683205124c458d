import type { Db } from "../database/pool.ts";
import { endingsSince } from "./recentEndings.ts";

/** Executions that ended `dead` in the last `minutes`, from the per-minute rollups. */
export async function deadExecutionCount(db: Db, minutes: number): Promise<number> {
  return (await endingsSince(db, minutes * 60)).dead;
}
