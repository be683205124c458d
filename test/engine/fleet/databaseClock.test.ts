import { sql } from "kysely";
import { afterEach, describe, expect, it, vi } from "vitest";
import { enqueue, enqueueMany } from "../../../src/engine/enqueue.ts";
import { DatabaseClock } from "../../../src/engine/fleet/databaseClock.ts";
import { startChildWorker } from "../../support/childWorker.ts";
import { withRollback } from "../../support/database.ts";
import { db, waitForStatus } from "../../support/engine.ts";
import { failsOnce, quickEcho } from "../../support/fixtures/processTasks.ts";

const HOUR = 3_600_000;

/** The database's time, this many milliseconds from now. */
async function databaseTime(fromNowMs = 0): Promise<Date> {
  const { rows } = await sql<{ at: Date }>`
    select clock_timestamp() + ${fromNowMs} * interval '1 millisecond' as at`.execute(db());
  return (rows[0] as { at: Date }).at;
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("DatabaseClock", () => {
  it.each([
    ["fast", HOUR],
    ["slow", -HOUR],
  ])("reads the database's time in a process an hour %s", async (_, skewMs) => {
    const trueNow = Date.now;
    vi.spyOn(Date, "now").mockImplementation(() => trueNow() + skewMs);
    const clock = new DatabaseClock();
    await clock.sync(db());
    await clock.sync(db());
    const before = (await databaseTime()).getTime();
    const read = clock.now();
    const after = (await databaseTime()).getTime();
    // Off by at most half a round trip; a second is far more than one, far less than the skew.
    expect(read).toBeGreaterThanOrEqual(before - 1_000);
    expect(read).toBeLessThanOrEqual(after + 1_000);
    expect(Math.abs(clock.offsetMs + skewMs)).toBeLessThan(1_000);
  });

  it("syncs inside a transaction", async () => {
    const trueNow = Date.now;
    vi.spyOn(Date, "now").mockImplementation(() => trueNow() - HOUR);
    const clock = new DatabaseClock();
    await withRollback((trx) => clock.sync(trx));
    expect(Math.abs(clock.offsetMs - HOUR)).toBeLessThan(1_000);
  });
});

describe("a worker whose clock is off decides and records by the database's clock", () => {
  it("runs jobs with 10 minutes of expiry left on a worker an hour fast", async () => {
    await startChildWorker({ clockSkewMs: HOUR });
    const expiresAt = await databaseTime(10 * 60_000);
    const ids = await enqueueMany(
      db(),
      Array.from({ length: 20 }, (_, n) => ({
        task: quickEcho,
        payload: { n },
        options: { expiresAt },
      })),
    );
    const ended = await Promise.all(
      ids.map((id) => waitForStatus(id, ["succeeded", "expired", "dead"])),
    );
    expect(ended.map((row) => row.status)).toEqual(ids.map(() => "succeeded"));
  });

  it("expires a job past its expiry on a worker an hour slow", async () => {
    await startChildWorker({ clockSkewMs: -HOUR });
    const id = await enqueue(db(), quickEcho, { n: 1 }, { expiresAt: await databaseTime(-60_000) });
    const row = await waitForStatus(id, ["succeeded", "expired", "dead"]);
    expect(row.status).toBe("expired");
  });

  it.each([
    ["fast", HOUR],
    ["slow", -HOUR],
  ])("records attempts between enqueue and now on a worker an hour %s", async (_, clockSkewMs) => {
    await startChildWorker({ clockSkewMs });
    const ids = [await enqueue(db(), quickEcho, { n: 1 }), await enqueue(db(), failsOnce, {})];
    // The retry comes after its delay as the database counts it, not an hour later.
    const rows = await Promise.all(ids.map((id) => waitForStatus(id, "succeeded")));
    const now = await databaseTime();
    for (const row of rows) {
      expect(row.started_at?.getTime()).toBeGreaterThanOrEqual(row.created_at.getTime());
      expect(row.finished_at?.getTime()).toBeGreaterThanOrEqual(row.started_at?.getTime() ?? 0);
      expect(row.finished_at?.getTime()).toBeLessThanOrEqual(now.getTime());
    }
    const attempts = await db()
      .selectFrom("execution_attempts")
      .innerJoin("executions", "executions.id", "execution_attempts.execution_id")
      .select([
        "execution_attempts.attempt",
        "execution_attempts.outcome",
        "execution_attempts.started_at",
        "execution_attempts.finished_at",
        "executions.created_at",
      ])
      .where("executions.public_id", "=", ids[1] as string)
      .orderBy("execution_attempts.attempt")
      .execute();
    expect(attempts.map((a) => [a.attempt, a.outcome])).toEqual([
      [1, "failed"],
      [2, "succeeded"],
    ]);
    // The worker's offset is an estimate, good to within half its fastest round trip to the
    // database; an hour's skew is what this looks for.
    const estimateMs = 50;
    let previousEnd = attempts[0]?.created_at.getTime() ?? 0;
    for (const attempt of attempts) {
      const finishedAt = attempt.finished_at?.getTime() ?? Number.NaN;
      expect(attempt.started_at.getTime()).toBeGreaterThanOrEqual(previousEnd - estimateMs);
      expect(finishedAt).toBeGreaterThanOrEqual(attempt.started_at.getTime());
      previousEnd = finishedAt;
    }
    expect(previousEnd).toBeLessThanOrEqual(now.getTime());
  });
});
