import { z } from "zod";
import { defineTask } from "../src/engine/task.ts";
import { jobBacklogGet } from "../src/monitoring/jobBacklog.ts";

/** Seed 000's periodic health check (every 5 minutes): logs the job backlog. */
export default defineTask({
  name: "system_health_check",
  lane: "maintenance",
  payload: z.object({}).passthrough(),
  async run(_payload, { db, logger }) {
    const backlog = await jobBacklogGet(db);
    logger.info(backlog, "job backlog");
    return backlog;
  },
});
