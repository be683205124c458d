import { sql } from "kysely";
import type { AlertCondition } from "./condition.ts";

/**
 * `worker_crash_loop`: at least `crashLoopRestarts` workers of one type on one host were lost in
 * the window; one instance per `type@host`. A lost worker is one crash recovery stopped (its
 * process ended or went silent: `stop_reason` is set). A worker that recycles (`WORKER_MAX_JOBS`,
 * `WORKER_MAX_RSS_MB`, a hard time limit) stops itself cleanly and is not counted: its
 * supervisor starting a fresh one is the plan, not a loop.
 */
export const workerCrashLoop: AlertCondition = {
  name: "worker_crash_loop",
  async evaluate(db, settings) {
    const { rows } = await sql<{
      type: string;
      host: string;
      lost: number;
      reasons: string[];
      last_lost_at: Date;
    }>`
      select type, host, count(*)::int as lost, array_agg(distinct stop_reason order by stop_reason) as reasons,
             max(stopped_at) as last_lost_at
      from workers
      where stop_reason is not null
        and stopped_at > now() - make_interval(mins => ${settings.windowMinutes}::int)
      group by type, host
      having count(*) >= ${settings.crashLoopRestarts}::int
      order by type, host`.execute(db);
    return rows.map((row) => ({
      key: `${row.type}@${row.host}`,
      severity: "critical",
      summary: `worker ${row.type} on ${row.host}: ${row.lost} workers lost in the last ${settings.windowMinutes} min`,
      details: {
        type: row.type,
        host: row.host,
        lost: row.lost,
        stop_reasons: row.reasons,
        last_lost_at: row.last_lost_at.toISOString(),
        window_minutes: settings.windowMinutes,
        threshold: settings.crashLoopRestarts,
      },
    }));
  },
};
