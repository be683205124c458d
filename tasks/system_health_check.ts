import { z } from "zod";
import { alertCheck } from "../src/alerts/alertCheck.ts";
import { defaultAlertSettings } from "../src/alerts/settings.ts";
import { defineCallCenterTask } from "../src/callCenter/task.ts";
import { jobBacklogGet } from "../src/monitoring/jobBacklog.ts";

/**
 * Seed 000's periodic health check (every 5 minutes): evaluates the alert conditions, opens and
 * resolves alerts and enqueues their mails to CRITICAL_ALERT_RECIPIENTS (src/alerts/alertCheck.ts).
 */
export default defineCallCenterTask({
  name: "system_health_check",
  lane: "maintenance",
  // `passthrough`: crontab runs add `_cron`.
  payload: z.object({}).passthrough(),
  async run(_payload, { db, logger, services }) {
    const alerts = await alertCheck(db, services.alerts ?? defaultAlertSettings);
    for (const alert of alerts.opened) logger.warn(alert, "alert opened");
    for (const alert of alerts.resolved) logger.info(alert, "alert resolved");
    const backlog = await jobBacklogGet(db);
    logger.info(backlog, "job backlog");
    return { ...alerts, backlog };
  },
});
