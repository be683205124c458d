import type { CallCenterServices } from "../callCenter/services.ts";
import type { Db, Pool } from "../database/pool.ts";
import type { CrontabEntry } from "../engine/crontab.ts";
import type { LaneName } from "../engine/lanes.ts";
import type { TaskRegistry } from "../engine/registry.ts";
import type { Logger } from "../observability/logger.ts";
import type { SessionLifetime } from "./sessions.ts";

/** What every dashboard page may read; the same values the API's routes are given. */
export interface DashboardDependencies {
  db: Db;
  pool: Pool;
  logger: Logger;
  registry: TaskRegistry;
  /** The call center's services (recordings, reports, exports); absent in an engine-only API. */
  services?: CallCenterServices;
  /** The crontab's entries. */
  schedule: CrontabEntry[];
  /** A worker silent longer is not alive. */
  silentAfterMs: number;
  laneConcurrency: Partial<Record<LaneName, number>>;
  /** Most executions one bulk action may select (the API's limit). */
  bulkMaxBatch: number;
  sessionLifetime: SessionLifetime;
}
