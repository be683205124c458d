import { sql } from "kysely";
import { describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { enqueue, enqueueByName, enqueueMany } from "../../src/engine/enqueue.ts";
import { EnqueueError } from "../../src/engine/errors.ts";
import { TaskRegistry } from "../../src/engine/registry.ts";
import { defineTask } from "../../src/engine/task.ts";
import { db, execution, jobCount } from "../support/engine.ts";

const sendSms = defineTask({
  name: "send_sms",
  lane: "notifications",
  payload: z.object({
    to: z.string().regex(/^\+\d{8,15}$/),
    body: z.string().min(1),
    token: z.string().optional(),
  }),
  secretFields: ["token"],
  maxAttempts: 5,
  run: async () => "sent",
});

const rows = async () =>
  Number(
    (await sql<{ n: number }>`select count(*)::int as n from executions`.execute(db())).rows[0]?.n,
  );

describe("enqueue", () => {
  it("writes the execution and its job together and returns a UUID", async () => {
    const id = await enqueue(db(), sendSms, { to: "+15551234567", body: "hi" });
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    const row = await execution(id);
    expect(row).toMatchObject({
      task_name: "send_sms",
      lane: "notifications",
      status: "queued",
      max_attempts: 5,
      priority: 8,
      attempts: 0,
    });
    const job = await sql<{
      task_identifier: string;
      priority: number;
      payload: { e: number; u: string; p: unknown };
    }>`
      select t.identifier as task_identifier, j.priority, j.payload from graphile_worker._private_jobs j join graphile_worker._private_tasks t on t.id = j.task_id where j.id = ${row.job_id}`.execute(
      db(),
    );
    expect(job.rows[0]).toMatchObject({ task_identifier: "send_sms", priority: -8 });
    expect(job.rows[0]?.payload).toMatchObject({
      e: row.id,
      u: id,
      p: { to: "+15551234567", body: "hi" },
    });
  });

  it("stores secret fields redacted in the ledger but real in the job", async () => {
    const id = await enqueue(db(), sendSms, { to: "+15551234567", body: "hi", token: "s3cret" });
    const row = await execution(id);
    expect(row.payload).toEqual({ to: "+15551234567", body: "hi", token: "[redacted]" });
    const job = await sql<{
      payload: { p: { token: string } };
    }>`select payload from graphile_worker._private_jobs where id = ${row.job_id}`.execute(db());
    expect(job.rows[0]?.payload.p.token).toBe("s3cret");
  });

  it("keeps null fields of the payload in the job", async () => {
    const nullable = defineTask({
      name: "nullable_fields",
      lane: "realtime",
      payload: z.object({ note: z.string().nullable() }),
      run: async () => null,
    });
    const id = await enqueue(
      db(),
      nullable,
      { note: null },
      { expiresAt: new Date(Date.now() + 60_000) },
    );
    const row = await execution(id);
    const job = await sql<{ payload: { p: unknown; x: number } }>`
      select payload from graphile_worker._private_jobs where id = ${row.job_id}`.execute(db());
    expect(job.rows[0]?.payload.p).toEqual({ note: null });
    expect(job.rows[0]?.payload.x).toBeGreaterThan(Date.now());
  });

  it("marks delayed jobs scheduled with their run time", async () => {
    const id = await enqueue(
      db(),
      sendSms,
      { to: "+15551234567", body: "later" },
      { delayMs: 60_000 },
    );
    const row = await execution(id);
    expect(row.status).toBe("scheduled");
    expect(row.run_at.getTime()).toBeGreaterThan(Date.now() + 55_000);
  });

  it("counts a delay from the database's now, not this process's clock", async () => {
    const trueNow = Date.now;
    const spy = vi.spyOn(Date, "now").mockImplementation(() => trueNow() + 3_600_000);
    const message = { to: "+15551234567", body: "hi" };
    const now = await enqueue(db(), sendSms, message);
    const later = await enqueue(db(), sendSms, message, { delayMs: 60_000 });
    const keyed = await enqueue(db(), sendSms, message, { delayMs: 60_000, jobKey: "later" });
    spy.mockRestore();
    const nowRow = await execution(now);
    expect(nowRow.status).toBe("queued");
    expect(nowRow.run_at).toEqual(nowRow.created_at);
    for (const row of [await execution(later), await execution(keyed)]) {
      expect(row.status).toBe("scheduled");
      expect(row.run_at.getTime() - row.created_at.getTime()).toBe(60_000);
      const job = await sql<{ run_at: Date }>`
        select run_at from graphile_worker.jobs where id = ${row.job_id}`.execute(db());
      expect(job.rows[0]?.run_at).toEqual(row.run_at);
    }
  });

  it("refuses a bad payload naming the field, and writes nothing", async () => {
    const before = [await rows(), await jobCount()];
    const error = await enqueue(db(), sendSms, { to: "12", body: "" }).catch((e) => e);
    expect(error).toBeInstanceOf(EnqueueError);
    expect(error.issues.map((issue: { path: string }) => issue.path)).toEqual([
      "payload.to",
      "payload.body",
    ]);
    expect([await rows(), await jobCount()]).toEqual(before);
  });

  it("refuses text PostgreSQL cannot store, naming the field, and writes nothing", async () => {
    const before = [await rows(), await jobCount()];
    const refused = async (payload: unknown, options = {}) => {
      const error = await enqueue(db(), sendSms, payload, options).catch((e) => e);
      expect(error).toBeInstanceOf(EnqueueError);
      return (error as EnqueueError).issues.map((issue) => issue.path);
    };
    const sms = { to: "+15551234567", body: "x" };
    expect(await refused({ ...sms, body: "a\u0000b" })).toEqual(["payload.body"]);
    expect(await refused({ ...sms, body: "\ud800" })).toEqual(["payload.body"]);
    expect(await refused({ ...sms, token: "t\u0000" })).toEqual(["payload.token"]);
    expect(await refused(sms, { correlationId: "c\u0000" })).toEqual(["options.correlationId"]);
    expect(await refused(sms, { jobKey: "\udc00k" })).toEqual(["options.jobKey"]);
    expect([await rows(), await jobCount()]).toEqual(before);
    // A surrogate pair is well formed, and stored as given.
    const id = await enqueue(db(), sendSms, { ...sms, body: "\ud83d\udcde call" });
    expect((await execution(id)).payload).toMatchObject({ body: "\u{1f4de} call" });
  });

  it("refuses bad options naming the field", async () => {
    const error = await enqueue(
      db(),
      sendSms,
      { to: "+15551234567", body: "x" },
      { maxAttempts: 0 },
    ).catch((e) => e);
    expect(error).toBeInstanceOf(EnqueueError);
    expect(error.message).toContain("options.maxAttempts");
  });

  it("refuses an unknown task name", async () => {
    const registry = new TaskRegistry([sendSms]);
    expect(() => enqueueByName(db(), registry, "no_such_task", {})).toThrow(
      /unknown task "no_such_task"/,
    );
  });

  it("enqueues a batch all or nothing, naming the bad item", async () => {
    const before = await rows();
    const error = await enqueueMany(db(), [
      { task: sendSms, payload: { to: "+15551234567", body: "a" } },
      { task: sendSms, payload: { to: "bad", body: "b" } },
    ]).catch((e) => e);
    expect(error.message).toContain("[1].payload.to");
    expect(await rows()).toBe(before);
    const ids = await enqueueMany(
      db(),
      Array.from({ length: 100 }, (_, i) => ({
        task: sendSms,
        payload: { to: "+15551234567", body: `m${i}` },
      })),
    );
    expect(new Set(ids).size).toBe(100);
    const bodies = await Promise.all(
      [ids[0], ids[99]].map(async (id) => (await execution(id as string)).payload),
    );
    expect(bodies).toEqual([
      { to: "+15551234567", body: "m0" },
      { to: "+15551234567", body: "m99" },
    ]);
  });

  it("gives executions UUIDv7 ids carrying their creation millisecond", async () => {
    const before = Date.now();
    const batch = await enqueueMany(
      db(),
      Array.from({ length: 3 }, (_, i) => ({
        task: sendSms,
        payload: { to: "+15551234567", body: `v${i}` },
      })),
    );
    const keyed = await enqueue(
      db(),
      sendSms,
      { to: "+15551234567", body: "v" },
      { jobKey: `v7:${before}` },
    );
    const after = Date.now();
    for (const id of [...batch, keyed]) {
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      const millis = Number.parseInt(id.replaceAll("-", "").slice(0, 12), 16);
      expect(millis).toBeGreaterThanOrEqual(before - 1);
      expect(millis).toBeLessThanOrEqual(after + 1);
    }
  });

  it("takes part in the caller's transaction", async () => {
    const before = [await rows(), await jobCount()];
    await db()
      .transaction()
      .execute(async (trx) => {
        await enqueue(trx, sendSms, { to: "+15551234567", body: "in tx" });
        throw new Error("caller rolls back");
      })
      .catch(() => {});
    expect([await rows(), await jobCount()]).toEqual(before);
  });

  it("dedupes by job key while the first execution is live", async () => {
    const first = await enqueue(
      db(),
      sendSms,
      { to: "+15551234567", body: "k" },
      { jobKey: "sms:42" },
    );
    const second = await enqueue(
      db(),
      sendSms,
      { to: "+15551234567", body: "k2" },
      { jobKey: "sms:42" },
    );
    expect(second).toBe(first);
    const row = await execution(first);
    expect(row.job_id).not.toBeNull();
    const keyed = await sql<{
      n: number;
    }>`select count(*)::int as n from executions where job_key = 'sms:42'`.execute(db());
    expect(keyed.rows[0]?.n).toBe(1);
  });

  it("dedupes by job key while the execution holding the key ends at the same time", async () => {
    const key = "sms:race";
    let enqueuing = true;
    // Ends whichever execution holds the key, over and over, as a fast worker would.
    const ender = (async () => {
      while (enqueuing) {
        await sql`update executions set status = 'succeeded', finished_at = now()
                  where job_key = ${key} and status in ('queued', 'scheduled')`.execute(db());
      }
    })();
    const enqueuer = async () => {
      const failures: unknown[] = [];
      for (let i = 0; i < 150; i++) {
        await enqueue(db(), sendSms, { to: "+15551234567", body: `r${i}` }, { jobKey: key }).catch(
          (error: unknown) => failures.push(error),
        );
      }
      return failures;
    };
    const failures = (await Promise.all([enqueuer(), enqueuer(), enqueuer()])).flat();
    enqueuing = false;
    await ender;
    expect(failures).toEqual([]);
    const live = await sql<{ n: number }>`
      select count(*)::int as n from executions
      where job_key = ${key} and status in ('queued', 'scheduled')`.execute(db());
    expect(live.rows[0]?.n).toBeLessThanOrEqual(1);
  });
});
