import { sql } from "kysely";
import { beforeAll, describe, expect, it } from "vitest";
import { TaskRegistry } from "../../../src/engine/registry.ts";
import { cleanupExpiredExports } from "../../../src/exports/cleanupExpiredExports.ts";
import { exportGetByCacheKey } from "../../../src/exports/exportRecords.ts";
import { runTask } from "../../../src/testing/runTask.ts";
import cleanupExpiredExportsTask from "../../../tasks/cleanup_expired_exports.ts";
import exportCallDataTask from "../../../tasks/export_call_data.ts";
import { authHeaders, testApp } from "../../support/app.ts";
import { db, startTestWorker, waitForStatus } from "../../support/engine.ts";
import { callAt, insertCalls, loadCsv, seedCallCenter } from "../../support/exports.ts";
import { startTestServices, type TestServices } from "../../support/services.ts";

// biome-ignore lint/suspicious/noExplicitAny: response bodies are checked field by field.
type Json = any;

const registry = new TaskRegistry([exportCallDataTask]);
let t: TestServices;
let read: Record<string, string>;
let operate: Record<string, string>;
let queueIds: number[];
let callIds: number[];

beforeAll(async () => {
  t = await startTestServices();
  read = await authHeaders("read");
  operate = await authHeaders("operate");
  queueIds = (await seedCallCenter(db())).callQueueIds;
  callIds = await insertCalls(
    db(),
    Array.from({ length: 30 }, (_, i) =>
      callAt(new Date(Date.parse("2023-10-02T08:00:00Z") + i * 3_600_000).toISOString(), {
        call_queue_id: queueIds[i % 2] as number,
      }),
    ),
  );
});

const countRows = async (table: "exports" | "executions") =>
  Number(
    (await db().selectFrom(table).select(db().fn.countAll().as("n")).executeTakeFirstOrThrow()).n,
  );

const app = () => testApp(undefined, { registry, services: t.services });

async function post(body: unknown, headers = operate) {
  const response = await app().request("/api/tasks/export/", {
    method: "POST",
    headers,
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Json };
}

const download = (cacheKey: string, headers = read) =>
  app().request(`/api/tasks/export/download/?cache_key=${cacheKey}`, { headers });

const october = {
  format: "csv",
  start_date: "2023-10-01T00:00:00Z",
  end_date: "2023-10-31T23:59:59Z",
};

describe("POST /api/tasks/export/ and its download", () => {
  it("starts an export (202), answers 409 with progress until it is ready, then streams the file", async () => {
    const { status, body } = await post({ ...october, queue_ids: [queueIds[0]] });
    expect(status).toBe(202);
    expect(body).toEqual({
      task_id: expect.any(String),
      cache_key: expect.stringMatching(/^[0-9a-f]{64}$/),
      export_id: expect.any(String),
      status: "pending",
      status_url: `/api/tasks/status/${body.task_id}/`,
      download_url: `/api/tasks/export/download/?cache_key=${body.cache_key}`,
    });

    const early = await download(body.cache_key);
    expect(early.status).toBe(409);
    expect(await early.json()).toMatchObject({
      error: { code: "not_ready" },
      status: "pending",
      progress: { rows_done: 0, percent: 0 },
    });

    await startTestWorker([exportCallDataTask], { services: t.services });
    await waitForStatus(body.task_id, "succeeded");
    const statusResponse = await app().request(body.status_url, { headers: read });
    expect(statusResponse.status).toBe(200);

    const ready = await download(body.cache_key);
    expect(ready.status).toBe(200);
    expect(ready.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect(ready.headers.get("content-disposition")).toBe(
      `attachment; filename="calls-${body.export_id}.csv"`,
    );
    const csv = await ready.text();
    expect(ready.headers.get("content-length")).toBe(String(Buffer.byteLength(csv)));
    const loaded = await loadCsv(t.services.reporting.pool, csv);
    expect(loaded.map((line) => Number(line.id))).toEqual(callIds.filter((_, i) => i % 2 === 0));

    // The same request, spelled differently, finds the same export and starts nothing.
    const executions = await countRows("executions");
    const again = await post({
      queue_ids: [queueIds[0], queueIds[0]],
      end_date: "2023-11-01T00:59:59+01:00",
      start_date: "2023-09-30T20:00:00-04:00",
    });
    expect(again.body).toMatchObject({
      cache_key: body.cache_key,
      task_id: body.task_id,
      status: "ready",
    });
    expect(await countRows("executions")).toBe(executions);

    // refresh runs it again.
    const refreshed = await post({ ...october, queue_ids: [queueIds[0]], refresh: true });
    expect(refreshed.body.cache_key).toBe(body.cache_key);
    expect(refreshed.body.task_id).not.toBe(body.task_id);
    await waitForStatus(refreshed.body.task_id, "succeeded");
    expect((await download(body.cache_key)).status).toBe(200);
  });

  it("serves a JSON export as application/json", async () => {
    await startTestWorker([exportCallDataTask], { services: t.services });
    const { body } = await post({ ...october, format: "json" });
    await waitForStatus(body.task_id, "succeeded");
    const response = await download(body.cache_key);
    expect(response.headers.get("content-type")).toBe("application/json");
    const rows = (await response.json()) as { id: number }[];
    expect(rows.map((row) => row.id)).toEqual(callIds);
  });

  it("refuses bad filters with a 400 naming the field, and writes nothing", async () => {
    const before = await Promise.all(
      (["exports", "executions"] as const).map((table) => countRows(table)),
    );
    const cases: [unknown, string][] = [
      [{ ...october, start_date: "2023-10-01T00:00:00" }, "start_date"],
      [{ ...october, end_date: "2023-10-31" }, "end_date"],
      [{ ...october, end_date: "2023-09-30T00:00:00Z" }, "end_date"],
      [{ ...october, end_date: october.start_date }, "end_date"],
      [{ ...october, format: "xlsx" }, "format"],
      [{ ...october, status: ["completed", "bogus"] }, "status.1"],
      [{ ...october, status: [] }, "status"],
      [{ ...october, queue_ids: ["1"] }, "queue_ids.0"],
      [{ ...october, agent_ids: [0] }, "agent_ids.0"],
      [{ ...october, direction: "sideways" }, "direction"],
      [{ ...october, campaign_id: "camp-1" }, "campaign_id"],
      [{ format: "csv", end_date: october.end_date }, "start_date"],
    ];
    for (const [body, field] of cases) {
      const response = await post(body);
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(response.body.error.details.map((d: { path: string }) => d.path)).toContain(field);
      expect(response.body.error.message).toContain(field);
    }
    const unknown = await post({ ...october, queue: [1] });
    expect(unknown.status).toBe(400);
    expect(JSON.stringify(unknown.body.error)).toContain("queue");
    const after = await Promise.all(
      (["exports", "executions"] as const).map((table) => countRows(table)),
    );
    expect(after).toEqual(before);
  });

  it("asks for the operate scope to export and a token to download", async () => {
    expect((await post(october, read)).status).toBe(403);
    const response = await download("0".repeat(64), {});
    expect(response.status).toBe(401);
  });

  it("answers 400 for a malformed cache_key and 404 for an unknown one", async () => {
    const malformed = await download("not-a-key");
    expect(malformed.status).toBe(400);
    expect(JSON.stringify(await malformed.json())).toContain("cache_key");
    expect((await download("f".repeat(64))).status).toBe(404);
  });

  it("answers 410 once an export expired; the cleanup deletes its file and row", async () => {
    await startTestWorker([exportCallDataTask], { services: t.services });
    const kept = await post({ ...october, direction: "inbound" });
    const expiring = await post({ ...october, direction: "outbound" });
    await waitForStatus(kept.body.task_id, "succeeded");
    await waitForStatus(expiring.body.task_id, "succeeded");
    const row = await exportGetByCacheKey(db(), expiring.body.cache_key);
    expect(await t.services.reporting.files.exists(row?.storage_key as string)).toBe(true);

    await db()
      .updateTable("exports")
      .set({ expires_at: sql<Date>`now() - interval '1 second'` })
      .where("cache_key", "=", expiring.body.cache_key)
      .execute();
    const gone = await download(expiring.body.cache_key);
    expect(gone.status).toBe(410);
    expect(((await gone.json()) as Json).error.code).toBe("gone");

    const { result } = await runTask(db(), cleanupExpiredExportsTask, {}, { services: t.services });
    expect(result).toEqual({ deleted: 1, more: false });
    expect(await t.services.reporting.files.exists(row?.storage_key as string)).toBe(false);
    expect(await exportGetByCacheKey(db(), expiring.body.cache_key)).toBeUndefined();
    expect((await download(expiring.body.cache_key)).status).toBe(404);
    expect((await download(kept.body.cache_key)).status).toBe(200);

    // A new request for the expired filters runs the export again.
    const again = await post({ ...october, direction: "outbound" });
    expect(again.body.status).toBe("pending");
  });

  it("cleans up in bounded batches", async () => {
    await db()
      .insertInto("exports")
      .values(
        Array.from({ length: 5 }, (_, i) => ({
          cache_key: `batch-${i}`,
          filters: "{}",
          format: "csv" as const,
          requested_by: "test",
          status: "failed" as const,
          expires_at: sql<Date>`now() - interval '1 hour'`,
        })),
      )
      .execute();
    const files = t.services.reporting.files;
    expect(await cleanupExpiredExports(db(), { files, batchSize: 2, maxBatches: 2 })).toEqual({
      deleted: 4,
      more: true,
    });
    expect(await cleanupExpiredExports(db(), { files, batchSize: 2, maxBatches: 2 })).toEqual({
      deleted: 1,
      more: false,
    });
    await expect(cleanupExpiredExports(db(), { files, batchSize: 0 })).rejects.toThrow(/batchSize/);
  });
});
