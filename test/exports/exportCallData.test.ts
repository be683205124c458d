import { readdir } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import fc from "fast-check";
import { sql } from "kysely";
import { beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { z } from "zod";
import type { CallCenterServices } from "../../src/callCenter/services.ts";
import { executionCancel } from "../../src/control/cancel.ts";
import { enqueue } from "../../src/engine/enqueue.ts";
import { registerWorker } from "../../src/engine/fleet/heartbeat.ts";
import { defineTask } from "../../src/engine/task.ts";
import { exportColumnNames } from "../../src/exports/exportColumns.ts";
import { exportGetByCacheKey } from "../../src/exports/exportRecords.ts";
import {
  directionsOf,
  type ExportFiltersInput,
  exportCacheKey,
  exportFilters,
  normaliseExportFilters,
} from "../../src/exports/filters.ts";
import { runTask } from "../../src/testing/runTask.ts";
import exportCallDataTask from "../../tasks/export_call_data.ts";
import { db, execution, startTestWorker, waitFor, waitForStatus } from "../support/engine.ts";
import {
  type CallCenterFixture,
  callAt,
  insertCalls,
  loadCsv,
  readExportFile,
  seedCallCenter,
} from "../support/exports.ts";
import { startTestServices, type TestServices } from "../support/services.ts";

let t: TestServices;
let center: CallCenterFixture;

const withChunkRows = (services: CallCenterServices, exportChunkRows: number) => ({
  ...services,
  reporting: { ...services.reporting, exportChunkRows },
});

async function runExport(
  filters: ExportFiltersInput,
  format: "csv" | "json" = "csv",
  services: CallCenterServices = t.services,
) {
  const { result } = await runTask(
    db(),
    exportCallDataTask,
    { filters, format, user_id: 7 },
    { services },
  );
  const row = await exportGetByCacheKey(db(), result.cache_key);
  if (!row?.storage_key) throw new Error(`export ${result.cache_key} has no file`);
  return { result, row, file: await readExportFile(services, row.storage_key) };
}

/** The ids of the calls `filters` select, in report-time order, by SQL of the test's own. */
async function expectedIds(filters: ExportFiltersInput): Promise<number[]> {
  const f = exportFilters.parse(filters);
  const rt = sql`coalesce(enqueued_at, created_at)`;
  const rows = await sql<{ id: number }>`
    select id from calls
    where ${rt} between ${f.start_date}::timestamptz and ${f.end_date}::timestamptz
      and (${f.queue_ids ?? null}::bigint[] is null or call_queue_id = any(${f.queue_ids ?? null}::bigint[]))
      and (${f.agent_ids ?? null}::bigint[] is null or agent_id = any(${f.agent_ids ?? null}::bigint[]))
      and (${f.status ?? null}::text[] is null or status = any(${f.status ?? null}::text[]))
      and (${f.direction ? directionsOf(f.direction) : null}::text[] is null
           or direction = any(${f.direction ? directionsOf(f.direction) : null}::text[]))
      and (${f.campaign_id === undefined ? null : String(f.campaign_id)}::text is null
           or campaign_id in (select id from campaigns
                              where id::text = ${String(f.campaign_id)}
                                 or public_id::text = ${String(f.campaign_id)}))
    order by ${rt}, id`.execute(db());
  return rows.rows.map((row) => row.id);
}

beforeAll(async () => {
  t = await startTestServices();
  center = await seedCallCenter(db());
  const [salesId, formulaQueueId] = center.callQueueIds as [number, number];
  const [adaId, bobId] = center.agentIds as [number, number];
  // A day of calls every 20 minutes, cycling through call queues, agents, statuses and kinds,
  // plus calls just outside the day and on its very bounds.
  const day = Date.parse("2026-03-10T00:00:00Z");
  const statuses = ["completed", "failed", "busy", "no-answer", "canceled"];
  const calls = [];
  for (let i = 0; i < 72; i++) {
    const at = new Date(day + i * 20 * 60_000).toISOString();
    const outbound = i % 5 === 0;
    calls.push(
      callAt(at, {
        direction: outbound ? (i % 2 === 0 ? "outbound-api" : "outbound-dial") : "inbound",
        status: statuses[i % statuses.length] as string,
        call_queue_id: outbound ? null : i % 3 === 0 ? formulaQueueId : salesId,
        agent_id: i % 4 === 0 ? null : i % 4 === 1 ? adaId : bobId,
        campaign_id: outbound && i % 2 === 0 ? center.campaign.id : null,
        outcome: outbound ? "completed" : i % 7 === 0 ? "abandoned" : "completed",
        wait_seconds: outbound ? null : i,
        talk_seconds: i * 3,
        hold_seconds: i % 2,
      }),
    );
  }
  calls.push(
    callAt("2026-03-09T23:59:59.999Z"),
    callAt("2026-03-11T00:00:00.001Z"),
    callAt("2026-03-11T00:00:00.000Z"),
    callAt("2026-03-10T12:00:00Z", {
      error_message: '-2+3 said "Twilio",\nthen\thung up \\ \u0001 Ünï',
      error_code: 31005,
      status: "failed",
    }),
  );
  await insertCalls(db(), calls);
});

const day = { start_date: "2026-03-10T00:00:00Z", end_date: "2026-03-11T00:00:00Z" };

describe("export_call_data", () => {
  it("writes a CSV that COPY loads back holding exactly the calls of each kind of filter", async () => {
    const [salesId, formulaQueueId] = center.callQueueIds as [number, number];
    const [adaId] = center.agentIds as [number, number];
    const cases: ExportFiltersInput[] = [
      day,
      { ...day, queue_ids: [formulaQueueId] },
      { ...day, queue_ids: [salesId, formulaQueueId] },
      { ...day, status: ["completed", "failed"] },
      { ...day, agent_ids: [adaId] },
      { ...day, direction: "inbound" },
      { ...day, direction: "outbound" },
      { ...day, direction: "outbound-dial" },
      { ...day, campaign_id: center.campaign.publicId },
      { ...day, campaign_id: center.campaign.id },
      // Offsets other than Z: 01:00+01:00 is midnight UTC.
      { start_date: "2026-03-10T07:00:00+07:00", end_date: "2026-03-10T05:30:00-05:00" },
      { ...day, queue_ids: [salesId], status: ["completed"], agent_ids: [adaId] },
    ];
    for (const filters of cases) {
      const expected = await expectedIds(filters);
      const { result, file, row } = await runExport(filters);
      const loaded = await loadCsv(t.services.reporting.pool, file);
      expect(
        loaded.map((line) => Number(line.id)),
        JSON.stringify(filters),
      ).toEqual(expected);
      expect(result.rows).toBe(expected.length);
      expect(row).toMatchObject({ status: "ready", rows_done: expected.length, requested_by: "7" });
      expect(row.bytes).toBe(Buffer.byteLength(file));
    }
    // Sanity: the cases are not all the same set.
    expect((await expectedIds(day)).length).toBe(74);
    expect((await expectedIds({ ...day, direction: "outbound" })).length).toBe(15);
  });

  it("escapes cells a spreadsheet would run as formulas, and quotes per RFC 4180", async () => {
    const { file } = await runExport({ ...day, status: ["failed"] });
    const [header] = file.split("\n");
    expect(header).toBe(exportColumnNames.join(","));
    const loaded = await loadCsv(t.services.reporting.pool, file);
    const byId = new Map(loaded.map((line) => [Number(line.id), line]));
    const calls = await db()
      .selectFrom("calls")
      .selectAll()
      .where("id", "in", [...byId.keys()])
      .execute();
    for (const call of calls) {
      const line = byId.get(call.id);
      expect(line?.from_number).toBe(`'${call.from_number}`);
      expect(line?.call_id).toBe(call.public_id);
      if (call.agent_id === center.agentIds[0]) expect(line?.agent).toBe('Ada, "the" agent');
      if (call.agent_id === center.agentIds[1]) expect(line?.agent).toBe("'@Bob");
      if (call.call_queue_id === center.callQueueIds[1]) {
        expect(line?.call_queue).toMatch(/^'=HYPERLINK\("http:\/\/x"\)/);
      }
      if (call.error_message) {
        expect(line?.error_message).toBe(`'${call.error_message}`);
        expect(line?.error_code).toBe(String(call.error_code));
      }
      const reportTime = call.enqueued_at ?? call.created_at;
      expect(new Date(line?.report_time as string).getTime()).toBe(reportTime.getTime());
    }
    expect([...byId.values()].some((line) => line.error_message?.includes("\n"))).toBe(true);
  });

  it("writes a JSON array of the same calls, values typed", async () => {
    const filters = { ...day, direction: "inbound" as const };
    const { file } = await runExport(filters, "json");
    const parsed = JSON.parse(file) as Record<string, unknown>[];
    expect(parsed.map((row) => row.id)).toEqual(await expectedIds(filters));
    expect(Object.keys(parsed[0] as object)).toEqual(exportColumnNames);
    const first = parsed[0] as Record<string, unknown>;
    expect(typeof first.wait_seconds).toBe("number");
    expect(first.from_number).toMatch(/^\+1555/);
    expect(first.answered_at).toBeNull();
    expect(first.report_time).toMatch(/^2026-03-10T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$/);
    // Quotes, line breaks, tabs, backslashes and control characters come back as they are.
    const failed = parsed.find((row) => row.error_code !== null);
    const stored = await db()
      .selectFrom("calls")
      .select("error_message")
      .where("id", "=", failed?.id as number)
      .executeTakeFirstOrThrow();
    expect(failed?.error_message).toBe(stored.error_message);
    expect(stored.error_message).toContain("\\ \u0001");

    const empty = await runExport(
      { start_date: "2001-01-01T00:00:00Z", end_date: "2001-01-02T00:00:00Z" },
      "json",
    );
    expect(JSON.parse(empty.file)).toEqual([]);
  });

  it("an empty CSV export is its header row", async () => {
    const { file, row } = await runExport({
      start_date: "2001-01-01T00:00:00Z",
      end_date: "2001-01-02T00:00:00Z",
    });
    expect(file).toBe(`${exportColumnNames.join(",")}\n`);
    expect(row.rows_done).toBe(0);
  });

  it("loses and repeats no call at chunk boundaries, even where calls share a timestamp", async () => {
    let window = 0;
    await fc.assert(
      fc.asyncProperty(
        // Report times drawn from a handful of instants, a microsecond apart or equal.
        fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 0, maxLength: 40 }),
        fc.integer({ min: 1, max: 7 }),
        fc.constantFrom("csv" as const, "json" as const),
        async (micros, chunkRows, format) => {
          window += 1;
          const base = Date.parse("2027-01-01T00:00:00Z") + window * 60_000;
          const at = (n: number) => `${new Date(base).toISOString().slice(0, 19)}.00000${n}Z`;
          await insertCalls(
            db(),
            micros.map((n) => callAt(at(n))),
          );
          const filters = {
            start_date: new Date(base).toISOString(),
            end_date: new Date(base + 1_000).toISOString(),
          };
          const { file } = await runExport(filters, format, withChunkRows(t.services, chunkRows));
          const ids =
            format === "csv"
              ? (await loadCsv(t.services.reporting.pool, file)).map((line) => Number(line.id))
              : (JSON.parse(file) as { id: number }[]).map((row) => row.id);
          expect(ids).toEqual(await expectedIds(filters));
          expect(ids.length).toBe(micros.length);
        },
      ),
      { numRuns: 25 },
    );
  });

  it("gives way between chunks while a more urgent job waits, then goes on", async () => {
    const base = Date.parse("2029-01-01T00:00:00Z");
    await insertCalls(
      db(),
      Array.from({ length: 3000 }, (_, i) => callAt(new Date(base + i * 1_000).toISOString())),
    );
    const urgent = defineTask({
      name: "urgent_sms",
      lane: "realtime",
      payload: z.object({}),
      run: async () => {},
    });
    const urgentId = await enqueue(db(), urgent, {});
    // A live worker serves the realtime lane (it has yet to take the job).
    const workerId = `realtime-worker-${Date.now()}`;
    await registerWorker(db(), workerId, {
      type: "realtime",
      lanes: ["realtime"],
      tasks: ["urgent_sms"],
      lockKey: 0,
    });
    onTestFinished(async () => {
      await db()
        .updateTable("workers")
        .set({ stopped_at: sql`now()` })
        .where("id", "=", workerId)
        .execute();
    });
    const services = {
      ...t.services,
      reporting: { ...t.services.reporting, exportChunkRows: 1000, exportYieldMs: 60_000 },
    };
    const filters = {
      start_date: new Date(base).toISOString(),
      end_date: new Date(base + 3_000_000).toISOString(),
    };
    const running = runTask(
      db(),
      exportCallDataTask,
      { filters, format: "csv", user_id: 1 },
      { services },
    );
    const waiting = await waitFor(async () => {
      const row = await db()
        .selectFrom("executions")
        .select(["status", "progress_message"])
        .where("task_name", "=", "export_call_data")
        .where("progress_message", "like", "%waiting for more urgent jobs")
        .executeTakeFirst();
      return row;
    });
    expect(waiting).toMatchObject({ status: "running" });
    expect(waiting.progress_message).toMatch(/^1000 of about \d+ rows; waiting/);
    // A worker takes the urgent job: the export waits for it to finish, then goes on.
    const job = await execution(urgentId);
    await sql`update graphile_worker._private_jobs set locked_at = now(), locked_by = 'test'
              where id = ${job.job_id}`.execute(db());
    await sleep(300);
    const stillWaiting = await db()
      .selectFrom("executions")
      .select("progress_message")
      .where("task_name", "=", "export_call_data")
      .executeTakeFirstOrThrow();
    expect(stillWaiting.progress_message).toBe(waiting.progress_message);
    await sql`delete from graphile_worker._private_jobs where id = ${job.job_id}`.execute(db());
    const { result } = await running;
    expect(result).toMatchObject({ status: "ready", rows: 3000 });
  });

  it("cancelled mid-export, leaves no file behind and the export cancelled", async () => {
    const base = Date.parse("2028-01-01T00:00:00Z");
    await insertCalls(
      db(),
      Array.from({ length: 3000 }, (_, i) => callAt(new Date(base + i * 1_000).toISOString())),
    );
    // One call per chunk: the export takes seconds, long enough to cancel part-way.
    await startTestWorker([exportCallDataTask], { services: withChunkRows(t.services, 1) });
    const filters = {
      start_date: new Date(base).toISOString(),
      end_date: new Date(base + 3_000_000).toISOString(),
    };
    const taskId = await enqueue(db(), exportCallDataTask, { filters, format: "csv", user_id: 1 });
    await waitForStatus(taskId, "running");
    const cacheKey = exportCacheKey(normaliseExportFilters(exportFilters.parse(filters)), "csv");
    await waitFor(async () => ((await exportGetByCacheKey(db(), cacheKey))?.rows_done ?? 0) > 0);
    // A running execution's cancel is requested; its worker aborts the job's signal.
    expect(await executionCancel(db(), { publicId: taskId, actor: "test", requestId: null })).toBe(
      "requested",
    );
    await waitForStatus(taskId, "cancelled");
    const row = await exportGetByCacheKey(db(), cacheKey);
    expect(row).toMatchObject({ status: "cancelled", storage_key: null, bytes: null });
    expect(row?.rows_done).toBeGreaterThan(0);
    expect(row?.rows_done).toBeLessThan(3000);
    expect(row?.expires_at).not.toBeNull();
    const left = (await readdir(t.filesDir, { recursive: true })).filter((name) =>
      name.includes(row?.public_id as string),
    );
    expect(left).toEqual([]);
  });
});
