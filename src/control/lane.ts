/**
 * `lane.pause` and `lane.resume`: hold or release a lane's jobs on every worker for an operator,
 * in one transaction with the audit row.
 */
import type { Db } from "../database/pool.ts";
import { setLanePaused } from "../engine/control/laneState.ts";
import type { LaneName } from "../engine/lanes.ts";
import { type Operator, recordAudit } from "./audit.ts";

export interface LaneAction extends Operator {
  lane: LaneName;
}

export function lanePause(db: Db, action: LaneAction): Promise<void> {
  return laneSetPaused(db, action, true);
}

export function laneResume(db: Db, action: LaneAction): Promise<void> {
  return laneSetPaused(db, action, false);
}

async function laneSetPaused(db: Db, { lane, actor, requestId }: LaneAction, paused: boolean) {
  await db.transaction().execute(async (trx) => {
    await setLanePaused(trx, lane, paused, actor);
    await recordAudit(trx, {
      actor,
      requestId,
      action: paused ? "lane.pause" : "lane.resume",
      targetIds: [lane],
      outcome: paused ? "paused" : "resumed",
    });
  });
}
