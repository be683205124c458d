/**
 * What the alert check compares against and whom it tells. Every default is here; the
 * environment variables that override them are read in src/config.ts.
 */
import { defaultWorkerSilentAfterMs } from "../engine/fleet/workerAlive.ts";
import { defaultHealthThresholds } from "../monitoring/health.ts";

export interface AlertSettings {
  /** `CRITICAL_ALERT_RECIPIENTS`. Empty: alerts are still recorded, no mail is sent. */
  recipients: string[];
  /** `ALERT_REPEAT_MINUTES`: the least time between two mails about one condition instance. */
  repeatMinutes: number;
  /** `ALERT_WINDOW_MINUTES`: how far back `dead_executions` and `worker_crash_loop` count. */
  windowMinutes: number;
  /** `ALERT_DEAD_EXECUTIONS`: `dead_executions` fires at this many dead executions in the window. */
  deadExecutions: number;
  /** `ALERT_MAX_WAIT_SECONDS`: `lane_wait` fires when a lane's oldest waiting job is older. */
  maxWaitSeconds: number;
  /** `ALERT_DATABASE_LATENCY_MS`: `database_latency` fires when a round trip takes longer. */
  databaseLatencyMs: number;
  /** `ALERT_CRASH_LOOP_RESTARTS`: `worker_crash_loop` fires at this many lost workers of one type on one host in the window. */
  crashLoopRestarts: number;
  /** `WORKER_SILENT_AFTER_MS`: a worker silent longer is not alive (see workerAlive.ts). */
  silentAfterMs: number;
}

export const defaultAlertSettings: AlertSettings = {
  recipients: [],
  repeatMinutes: 60,
  windowMinutes: 15,
  deadExecutions: 10,
  maxWaitSeconds: defaultHealthThresholds.maxWaitSeconds,
  databaseLatencyMs: 500,
  crashLoopRestarts: 3,
  silentAfterMs: defaultWorkerSilentAfterMs,
};
