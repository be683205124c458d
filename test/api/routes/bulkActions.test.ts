import { sql } from "kysely";
import { beforeAll, describe, expect, it } from "vitest";
import { enqueue } from "../../../src/engine/enqueue.ts";
import { authHeaders, testApp } from "../../support/app.ts";
import { db, execution, jobCount } from "../../support/engine.ts";
import { apiRegistry, processCallRecording } from "../../support/fixtures/apiTasks.ts";

// biome-ignore lint/suspicious/noExplicitAny: response bodies are checked field by field.
type Json = any;
let operate: Record<string, string>;
beforeAll(async () => {
  operate = await authHeaders("operate");
});

const bulk = async (body: unknown, maxBatch = 1000) => {
  const app = testApp(undefined, { registry: apiRegistry(), settings: { bulkMaxBatch: maxBatch } });
  const response = await app.request("/api/tasks/bulk-actions/", {
    method: "POST",
    headers: operate,
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Json };
};

const scheduled = (count: number) =>
  Promise.all(
    Array.from({ length: count }, (_, i) =>
      enqueue(db(), processCallRecording, { call_id: i + 1 }, { delayMs: 600_000 }),
    ),
  );

describe("bulk actions", () => {
  it("cancels the given executions in one go, reporting each outcome", async () => {
    const ids = await scheduled(3);
    const { status, body } = await bulk({
      action: "cancel",
      task_ids: [...ids, "4a0f0f0f-0000-4000-8000-000000000000"],
    });
    expect(status).toBe(200);
    expect(body.summary).toEqual({ cancelled: 3, not_found: 1 });
    for (const id of ids) expect((await execution(id)).status).toBe("cancelled");
    const audit = await db()
      .selectFrom("audit_log")
      .selectAll()
      .where("action", "=", "execution.bulk_cancel")
      .execute();
    expect(audit).toHaveLength(1);
  });

  it("changes nothing on a dry run", async () => {
    const ids = await scheduled(2);
    const { body } = await bulk({ action: "cancel", task_ids: ids, dry_run: true });
    expect(body).toMatchObject({ dry_run: true, summary: { cancelled: 2 } });
    for (const id of ids) expect((await execution(id)).status).toBe("scheduled");
  });

  it("selects by filters and refuses a selection over the batch limit with 422", async () => {
    const ids = await scheduled(4);
    const since = new Date(Date.now() - 60_000).toISOString();
    const tooMany = await bulk(
      {
        action: "cancel",
        filters: { status: "scheduled", task_name: "process_call_recording", created_after: since },
      },
      2,
    );
    expect(tooMany.status).toBe(422);
    expect(tooMany.body.error.code).toBe("too_many_selected");
    for (const id of ids) expect((await execution(id)).status).toBe("scheduled");
    const done = await bulk({
      action: "cancel",
      filters: { status: "pending", task_name: "process_call_recording" },
    });
    expect(done.status).toBe(200);
    expect(done.body.matched).toBeGreaterThanOrEqual(4);
  });

  it("selects by correlation id and payload search", async () => {
    const ids = await scheduled(3);
    const marked = await enqueue(
      db(),
      processCallRecording,
      { call_id: 987654 },
      { delayMs: 600_000, correlationId: "bulk-corr" },
    );
    const byCorrelation = await bulk({
      action: "cancel",
      filters: { correlation_id: "bulk-corr" },
      dry_run: true,
    });
    expect(byCorrelation.body).toMatchObject({ matched: 1, summary: { cancelled: 1 } });
    const byPayload = await bulk({ action: "cancel", filters: { payload: "987654" } });
    expect(byPayload.body.results).toEqual([{ task_id: marked, outcome: "cancelled" }]);
    for (const id of ids) expect((await execution(id)).status).toBe("scheduled");
    expect((await execution(marked)).status).toBe("cancelled");
  });

  it("leaves every selected execution unchanged when a failure strikes part-way", async () => {
    const ids = await scheduled(5);
    const jobsBefore = await jobCount();
    // The third update fails inside the transaction.
    await sql`create or replace function fail_third_cancel() returns trigger language plpgsql as $$
      begin
        if new.status = 'cancelled' and new.payload->>'call_id' = '3' then raise exception 'injected failure'; end if;
        return new;
      end $$`.execute(db());
    await sql`create trigger fail_third_cancel before update on executions for each row execute function fail_third_cancel()`.execute(
      db(),
    );
    try {
      const { status, body } = await bulk({ action: "cancel", task_ids: ids });
      expect(status).toBe(500);
      expect(JSON.stringify(body)).not.toContain("injected failure");
    } finally {
      await sql`drop trigger fail_third_cancel on executions`.execute(db());
    }
    for (const id of ids) expect((await execution(id)).status).toBe("scheduled");
    expect(await jobCount()).toBe(jobsBefore);
    const audit =
      await sql`select id from audit_log where target_ids @> array[${ids[0]}]::text[]`.execute(
        db(),
      );
    expect(audit.rows).toEqual([]);
  });

  it("refuses malformed bodies naming the field", async () => {
    for (const [body, field] of [
      [{ action: "explode", task_ids: ["4a0f0f0f-0000-4000-8000-000000000000"] }, "action"],
      [{ action: "retry", task_ids: ["nope"] }, "task_ids"],
      [{ action: "retry" }, "task_ids"],
      [{ action: "retry", filters: { colour: "red" } }, "filters"],
      [{ action: "retry", task_ids: ["4a0f0f0f-0000-4000-8000-000000000000"], extra: 1 }, "extra"],
    ] as const) {
      const { status, body: response } = await bulk(body);
      expect(status, JSON.stringify(body)).toBe(400);
      expect(JSON.stringify(response.error), JSON.stringify(body)).toContain(field);
    }
  });
});
