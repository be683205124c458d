import { sql } from "kysely";
import { describe, expect, it } from "vitest";
import { enqueue } from "../../src/engine/enqueue.ts";
import { db, execution } from "./engine.ts";
import { quickEcho } from "./fixtures/processTasks.ts";
import { orphanIds } from "./invariants.ts";

describe("orphanIds", () => {
  it("names live executions without their job and jobs without a live execution", async () => {
    const intact = await enqueue(db(), quickEcho, { n: 1 });
    const jobGone = await enqueue(db(), quickEcho, { n: 2 });
    const ended = await enqueue(db(), quickEcho, { n: 3 });
    expect(await orphanIds(db())).toEqual({ executionsWithoutJob: [], jobsWithoutExecution: [] });

    const jobGoneRow = await execution(jobGone);
    await sql`delete from graphile_worker._private_jobs where id = ${jobGoneRow.job_id}`.execute(
      db(),
    );
    const endedRow = await execution(ended);
    await db()
      .updateTable("executions")
      .set({ status: "succeeded", job_id: null })
      .where("public_id", "=", ended)
      .execute();

    expect(await orphanIds(db())).toEqual({
      executionsWithoutJob: [Number(jobGoneRow.id)],
      jobsWithoutExecution: [Number(endedRow.job_id)],
    });
    expect((await execution(intact)).status).toBe("queued");
  });
});
