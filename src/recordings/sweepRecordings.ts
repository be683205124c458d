/**
 * `process_pending_recordings` (every 3 minutes): enqueues `process_call_recording`, keyed
 * `recording:<sid>` so a recording never has two live sweep jobs, for
 * - `pending` recordings older than `pendingAfterMs` (a younger one still has its webhook job);
 * - `failed` recordings with runs left: fewer than `maxRuns` keyed executions ended dead;
 * - `processing` recordings no live `process_call_recording` execution refers to (their job
 *   was lost with its worker).
 */
import { sql } from "kysely";
import type { Db } from "../database/pool.ts";
import { enqueue } from "../engine/enqueue.ts";
import { liveStatuses, statusList } from "../engine/executionStatus.ts";
import type { AnyTask } from "../engine/task.ts";
import { recordingJobKey, recordingTaskNames } from "./jobKeys.ts";

export interface SweepRecordingsOptions {
  /** The `process_call_recording` task. */
  processTask: AnyTask;
  /** The sweeping execution, as the new jobs' parent. */
  parentId?: string;
  /** A pending recording younger than this is left to its own job. Default 60 000 (1 minute). */
  pendingAfterMs?: number;
  /** Runs (executions ending dead) a failed recording gets from sweeps. Default 3. */
  maxRuns?: number;
  /** Most recordings enqueued per sweep, oldest first. Default 500. */
  limit?: number;
}

export interface SweepRecordingsResult {
  pending: number;
  failed: number;
  orphaned: number;
  /** Execution ids: new ones, or the live one already holding a recording's key. */
  executions: string[];
}

export async function sweepPendingRecordings(
  db: Db,
  options: SweepRecordingsOptions,
): Promise<SweepRecordingsResult> {
  const { pendingAfterMs = 60_000, maxRuns = 3, limit = 500 } = options;
  const { rows } = await sql<{
    id: number;
    sid: string;
    status: "pending" | "failed" | "processing";
  }>`
    select r.id, r.sid, r.status
    from recordings r
    where (r.status = 'pending' and r.created_at < now() - make_interval(secs => ${pendingAfterMs / 1000}))
       or (r.status = 'failed' and (
             select count(*) from executions e
             where e.status = 'dead' and e.task_name = ${recordingTaskNames.process}
               and e.job_key = 'recording:' || r.sid) < ${maxRuns})
       or (r.status = 'processing' and not exists (
             select 1 from executions e
             where e.status in (${statusList(liveStatuses)}) and e.task_name = ${recordingTaskNames.process}
               and (e.payload->>'recording_id' = r.id::text
                    or e.payload->>'call_id' = r.call_id::text)))
    order by r.created_at, r.id
    limit ${limit}`.execute(db);

  const executions: string[] = [];
  for (const row of rows) {
    executions.push(
      await enqueue(
        db,
        options.processTask,
        { recording_id: row.id },
        {
          jobKey: recordingJobKey(row.sid),
          ...(options.parentId ? { parentId: options.parentId } : {}),
        },
      ),
    );
  }
  const count = (status: string) => rows.filter((row) => row.status === status).length;
  return {
    pending: count("pending"),
    failed: count("failed"),
    orphaned: count("processing"),
    executions,
  };
}
