import { sql } from "kysely";
import { describe, expect, it } from "vitest";
import {
  executionGetByPublicId,
  executionList,
  executionListDead,
} from "../../src/executions/queries.ts";
import { db } from "../support/engine.ts";

async function insertExecution(values: { status: "dead" | "queued"; finishedAt?: string }) {
  const row = await db()
    .insertInto("executions")
    .values({
      task_name: "permanent_failure",
      lane: "realtime",
      status: values.status,
      payload: "{}",
      priority: 0,
      max_attempts: 1,
      finished_at: values.finishedAt ? sql<Date>`${values.finishedAt}::timestamptz` : null,
    })
    .returning("public_id")
    .executeTakeFirstOrThrow();
  return row.public_id;
}

describe("executionListDead", () => {
  it("lists dead executions newest failure first, page by page, ties broken by id", async () => {
    const at = (micros: number) => `2026-06-01T08:00:00.123${String(micros).padStart(3, "0")}Z`;
    const oldest = await insertExecution({ status: "dead", finishedAt: at(100) });
    const newest = await insertExecution({ status: "dead", finishedAt: at(900) });
    const tiedFirst = await insertExecution({ status: "dead", finishedAt: at(500) });
    const tiedSecond = await insertExecution({ status: "dead", finishedAt: at(500) });
    await insertExecution({ status: "queued" });

    const seen: string[] = [];
    let after: Awaited<ReturnType<typeof executionListDead>>["next"] | undefined;
    let pages = 0;
    do {
      const page = await executionListDead(db(), { limit: 2, after: after ?? undefined });
      seen.push(...page.rows.map((row) => row.public_id));
      after = page.next;
      pages++;
    } while (after);
    expect(pages).toBe(2);
    expect(seen).toEqual([newest, tiedSecond, tiedFirst, oldest]);
  });

  it("filters by task and ignores a status filter", async () => {
    const page = await executionListDead(db(), {
      filters: { task_name: "no_such_task", status: ["queued"] },
      limit: 10,
    });
    expect(page).toEqual({ rows: [], next: null });
    const all = await executionListDead(db(), { filters: { status: ["queued"] }, limit: 10 });
    expect(all.rows.every((row) => row.status === "dead")).toBe(true);
    expect(all.rows).toHaveLength(4);
  });
});

describe("executionList and executionGetByPublicId", () => {
  it("lists newest created first and gives one execution whole", async () => {
    const listed = await executionList(db(), { filters: { status: ["queued"] }, limit: 10 });
    expect(listed.rows).toHaveLength(1);
    const [summary] = listed.rows;
    expect(summary).not.toHaveProperty("payload");
    const whole = await executionGetByPublicId(db(), summary?.public_id as string);
    expect(whole).toMatchObject({ id: summary?.id, status: "queued", payload: {} });
    expect(
      await executionGetByPublicId(db(), "4a0f0f0f-0000-4000-8000-000000000000"),
    ).toBeUndefined();
  });
});
