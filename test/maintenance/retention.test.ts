import { sql } from "kysely";
import { beforeEach, describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config.ts";
import type { ExecutionStatus } from "../../src/engine/executionStatus.ts";
import { deleteOldAuditEntries } from "../../src/maintenance/auditLogRetention.ts";
import { type DeletionProgress, deleteInBatches } from "../../src/maintenance/batchedDeletion.ts";
import { deleteOldCallLogs } from "../../src/maintenance/callLogRetention.ts";
import {
  deleteOldExecutions,
  executionsRetentionTable,
} from "../../src/maintenance/executionRetention.ts";
import { db } from "../support/engine.ts";

const NOW = new Date("2026-12-01T00:00:00.000Z");
/** 30 days before NOW: EXECUTION_RETENTION_DAYS' default cutoff. */
const CUTOFF = "2026-11-01T00:00:00.000Z";
const DAY = 86_400_000;

beforeEach(async () => {
  await sql`truncate executions, execution_attempts, audit_log, webhook_logs, call_events, calls
            restart identity cascade`.execute(db());
});

/** An instant `micros` microseconds after `iso`, in SQL (a JS Date stops at milliseconds). */
const at = (iso: string, micros = 0) =>
  sql`${iso}::timestamptz + ${micros} * interval '1 microsecond'`;

/** An execution that ended at `finishedAt` (an ISO string or `at(…)`), with `attempts` attempts. */
async function addExecution(
  name: string,
  status: ExecutionStatus,
  finishedAt: string | ReturnType<typeof at> | null,
  attempts = 1,
): Promise<number> {
  const { rows } = await sql<{ id: number }>`
    insert into executions (task_name, lane, status, payload, priority, max_attempts, attempts,
                            created_at, started_at, finished_at)
    values (${name}, 'maintenance', ${status}, '{}', 1, 3, ${attempts},
            ${new Date(NOW.getTime() - 90 * DAY)}, ${new Date(NOW.getTime() - 90 * DAY)},
            ${typeof finishedAt === "string" ? at(finishedAt) : finishedAt})
    returning id`.execute(db());
  const id = rows[0]?.id as number;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    await db()
      .insertInto("execution_attempts")
      .values({
        execution_id: id,
        attempt,
        started_at: new Date(NOW.getTime() - 90 * DAY),
        outcome: "failed",
      })
      .execute();
  }
  return id;
}

const names = async (table: "executions") =>
  (await db().selectFrom(table).select("task_name").orderBy("task_name").execute()).map(
    (row) => row.task_name,
  );

const count = async (table: "executions" | "execution_attempts" | "audit_log" | "call_events") =>
  Number(
    (
      await db()
        .selectFrom(table)
        .select((e) => e.fn.countAll<number>().as("n"))
        .executeTakeFirstOrThrow()
    ).n,
  );

describe("deleteOldExecutions (cleanup_old_tasks)", () => {
  it("deletes terminal executions that ended before the cutoff, with their attempts, and keeps the rest", async () => {
    await addExecution("old_succeeded", "succeeded", at(CUTOFF, -1), 2);
    await addExecution("old_dead", "dead", "2026-10-01T00:00:00Z", 3);
    await addExecution("old_cancelled", "cancelled", "2026-09-01T00:00:00Z");
    await addExecution("old_expired", "expired", "2026-08-01T00:00:00Z");
    await addExecution("at_cutoff", "succeeded", CUTOFF);
    await addExecution("after_cutoff", "succeeded", at(CUTOFF, 1));
    await addExecution("recent_dead", "dead", "2026-11-30T00:00:00Z");
    // Live executions stay whatever their times say.
    await addExecution("running", "running", null);
    await addExecution("retrying", "retrying", "2026-09-01T00:00:00Z");
    await addExecution("queued", "queued", null);
    await addExecution("scheduled", "scheduled", "2026-09-01T00:00:00Z");

    const result = await deleteOldExecutions(db(), { now: NOW, days: 30 });

    expect(result.deleted).toBe(4);
    expect(result.related).toEqual({ attempts: 7 });
    expect(result.cutoff.toISOString()).toBe(CUTOFF);
    expect(await names("executions")).toEqual([
      "after_cutoff",
      "at_cutoff",
      "queued",
      "recent_dead",
      "retrying",
      "running",
      "scheduled",
    ]);
    expect(await count("execution_attempts")).toBe(7);
    // A second run finds nothing more.
    expect((await deleteOldExecutions(db(), { now: NOW, days: 30 })).deleted).toBe(0);
  });

  it("deletes in batches of at most batchSize rows, walking past ties on the time", async () => {
    // 23 executions that all ended at the same instant, as one ledger flush writes them.
    for (let index = 0; index < 23; index++) {
      await addExecution(`tied_${index}`, "succeeded", "2026-10-01T00:00:00Z", 0);
    }
    await addExecution("kept", "succeeded", "2026-11-15T00:00:00Z", 0);
    const progress: DeletionProgress[] = [];
    const result = await deleteOldExecutions(db(), {
      now: NOW,
      batchSize: 5,
      onProgress: (p) => progress.push(p),
    });
    expect(result).toMatchObject({ deleted: 23, batches: 5, largestBatch: 5 });
    expect(progress.map((p) => p.deleted)).toEqual([5, 10, 15, 20, 23]);
    expect(progress.at(-1)?.fraction).toBe(1);
    expect(await names("executions")).toEqual(["kept"]);
  });

  it("ends with one empty batch when the rows fill the last batch exactly", async () => {
    for (let index = 0; index < 10; index++) {
      await addExecution(`old_${index}`, "succeeded", `2026-10-0${1 + (index % 9)}T00:00:00Z`, 0);
    }
    const result = await deleteOldExecutions(db(), { now: NOW, batchSize: 5 });
    expect(result).toMatchObject({ deleted: 10, batches: 3, largestBatch: 5 });
  });

  it("stops between batches when its signal aborts, keeping what it has not reached", async () => {
    for (let index = 0; index < 30; index++) {
      await addExecution(`old_${index}`, "succeeded", "2026-10-01T00:00:00Z", 1);
    }
    const controller = new AbortController();
    const reason = new Error("cancelled by an operator");
    const seen: number[] = [];
    await expect(
      deleteOldExecutions(db(), {
        now: NOW,
        batchSize: 5,
        signal: controller.signal,
        onProgress: (p) => {
          seen.push(p.deleted);
          if (p.batches === 2) controller.abort(reason);
        },
      }),
    ).rejects.toBe(reason);
    expect(seen).toEqual([5, 10]);
    expect(await count("executions")).toBe(20);
    expect(await count("execution_attempts")).toBe(20);
  });

  it("skips a row another transaction holds, and takes it on the next run", async () => {
    const held = await addExecution("held", "dead", "2026-10-01T00:00:00Z");
    await addExecution("free", "dead", "2026-10-02T00:00:00Z");
    const release = Promise.withResolvers<void>();
    const holding = db()
      .transaction()
      .execute(async (trx) => {
        await trx
          .selectFrom("executions")
          .select("id")
          .where("id", "=", held)
          .forUpdate()
          .execute();
        await release.promise;
      });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const first = await deleteInBatches(db(), executionsRetentionTable, {
      cutoff: new Date(CUTOFF),
    });
    expect(first.deleted).toBe(1);
    release.resolve();
    await holding;
    expect(await names("executions")).toEqual(["held"]);
    expect((await deleteOldExecutions(db(), { now: NOW })).deleted).toBe(1);
  });

  it("refuses bad settings, naming them", async () => {
    await expect(deleteOldExecutions(db(), { days: 0 })).rejects.toThrow(
      /EXECUTION_RETENTION_DAYS: expected a number of days above 0, got 0/,
    );
    await expect(deleteOldExecutions(db(), { batchSize: 0 })).rejects.toThrow(/batchSize/);
    await expect(deleteOldAuditEntries(db(), { days: -1 })).rejects.toThrow(/AUDIT_RETENTION_DAYS/);
    await expect(deleteOldCallLogs(db(), { days: Number.NaN })).rejects.toThrow(
      /CALL_LOG_RETENTION_DAYS/,
    );
  });
});

describe("deleteOldAuditEntries", () => {
  it("deletes audit rows older than the cutoff, keeping the one exactly at it", async () => {
    const cutoff = new Date(NOW.getTime() - 365 * DAY);
    for (const [action, at] of [
      ["old", new Date(cutoff.getTime() - 1)],
      ["older", new Date(cutoff.getTime() - 100 * DAY)],
      ["at_cutoff", cutoff],
      ["recent", new Date(NOW.getTime() - DAY)],
    ] as const) {
      await db()
        .insertInto("audit_log")
        .values({ actor: "cli:test", action, outcome: "done", at })
        .execute();
    }
    const result = await deleteOldAuditEntries(db(), { now: NOW, batchSize: 1 });
    expect(result).toMatchObject({ deleted: 2, batches: 3, largestBatch: 1 });
    const left = await db().selectFrom("audit_log").select("action").orderBy("action").execute();
    expect(left.map((row) => row.action)).toEqual(["at_cutoff", "recent"]);
  });
});

describe("deleteOldCallLogs (cleanup_old_call_logs)", () => {
  async function addWebhookLog(receivedAt: Date, duplicateOf: number | null = null) {
    const row = await db()
      .insertInto("webhook_logs")
      .values({
        kind: "call-status",
        url: "https://calls.example/webhooks/call-status",
        params: JSON.stringify({ CallSid: "CA1" }),
        signature_valid: true,
        received_at: receivedAt,
        duplicate_of: duplicateOf,
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    return row.id;
  }

  it("deletes webhook logs and call events older than the cutoff; calls stay", async () => {
    const cutoff = new Date(NOW.getTime() - 90 * DAY);
    const old = new Date(cutoff.getTime() - DAY);
    const oldOriginal = await addWebhookLog(old);
    await addWebhookLog(new Date(old.getTime() + 1), oldOriginal);
    const originalOfRecent = await addWebhookLog(old);
    const recentDuplicate = await addWebhookLog(new Date(NOW.getTime() - DAY), originalOfRecent);
    const atCutoff = await addWebhookLog(cutoff);

    const call = await db()
      .insertInto("calls")
      .values({ direction: "inbound", from_number: "+15550001", to_number: "+15550002" })
      .returning("id")
      .executeTakeFirstOrThrow();
    for (const [status, receivedAt] of [
      ["ringing", old],
      ["in-progress", cutoff],
      ["completed", new Date(NOW.getTime() - DAY)],
    ] as const) {
      await db()
        .insertInto("call_events")
        .values({
          call_id: call.id,
          call_sid: "CA1",
          status,
          payload: JSON.stringify({ CallStatus: status }),
          received_at: receivedAt,
        })
        .execute();
    }

    const result = await deleteOldCallLogs(db(), { now: NOW });

    // The old duplicate of an old original goes in the same batch; the recent one is detached.
    expect(result.webhookLogs).toMatchObject({ deleted: 3, batches: 1 });
    expect(result.webhookLogs.related).toEqual({ detached_duplicates: 1 });
    expect(result.callEvents).toMatchObject({ deleted: 1, batches: 1 });
    const logs = await db()
      .selectFrom("webhook_logs")
      .select(["id", "duplicate_of"])
      .orderBy("id")
      .execute();
    expect(logs).toEqual([
      { id: recentDuplicate, duplicate_of: null },
      { id: atCutoff, duplicate_of: null },
    ]);
    const events = await db().selectFrom("call_events").select("status").orderBy("id").execute();
    expect(events.map((row) => row.status)).toEqual(["in-progress", "completed"]);
    expect(await db().selectFrom("calls").select("id").execute()).toEqual([{ id: call.id }]);
  });

  it("deletes an original and its duplicate in different batches", async () => {
    const old = new Date(NOW.getTime() - 100 * DAY);
    const original = await addWebhookLog(old);
    await addWebhookLog(new Date(old.getTime() + 1), original);
    const result = await deleteOldCallLogs(db(), { now: NOW, batchSize: 1 });
    expect(result.webhookLogs).toMatchObject({ deleted: 2, batches: 3, largestBatch: 1 });
    expect(await db().selectFrom("webhook_logs").select("id").execute()).toEqual([]);
  });
});

describe("retention settings", () => {
  const problemsOf = (env: Record<string, string>) => {
    try {
      loadConfig(env);
    } catch (error) {
      if (error instanceof ConfigError) return error.problems;
      throw error;
    }
    throw new Error("expected a ConfigError");
  };

  it("defaults to 30, 90 and 365 days and reads given values", () => {
    expect(loadConfig({}).retention).toEqual({
      executionDays: 30,
      callLogDays: 90,
      auditDays: 365,
    });
    expect(
      loadConfig({
        EXECUTION_RETENTION_DAYS: "7",
        CALL_LOG_RETENTION_DAYS: "14",
        AUDIT_RETENTION_DAYS: "730",
      }).retention,
    ).toEqual({ executionDays: 7, callLogDays: 14, auditDays: 730 });
  });

  it("names each bad variable", () => {
    expect(
      problemsOf({
        EXECUTION_RETENTION_DAYS: "0",
        CALL_LOG_RETENTION_DAYS: "ninety",
        AUDIT_RETENTION_DAYS: "-5",
      }),
    ).toEqual([
      "EXECUTION_RETENTION_DAYS: must be at least 1",
      "CALL_LOG_RETENTION_DAYS: expected a number",
      "AUDIT_RETENTION_DAYS: must be at least 1",
    ]);
  });
});
