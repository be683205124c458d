import { setTimeout as sleep } from "node:timers/promises";
import { sql } from "kysely";
import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { enqueue, enqueueMany } from "../../src/engine/enqueue.ts";
import { EVENTS_CHANNEL } from "../../src/engine/ledger/executionEvents.ts";
import { defineTask } from "../../src/engine/task.ts";
import { testDatabaseUrl } from "../support/database.ts";
import { db, execution, startTestWorker, waitFor, waitForStatus } from "../support/engine.ts";

const noop = defineTask({
  name: "noop",
  lane: "realtime",
  payload: z.object({ n: z.number() }),
  run: async () => null,
});

/** Quotes, a line break and characters outside ASCII, to be carried through unchanged. */
const RENDERING = 'rendering "page 1"\nof 2 — ½';

const patient = defineTask({
  name: "patient_report",
  lane: "reports",
  payload: z.object({ ms: z.number() }),
  run: async ({ ms }, ctx) => {
    ctx.progress(40, RENDERING);
    ctx.progress(Number.NaN, "a report without a number is ignored");
    await sleep(ms, undefined, { signal: ctx.signal });
    return "done";
  },
});

const verbose = defineTask({
  name: "verbose_import",
  lane: "notifications",
  payload: z.object({ n: z.number() }),
  run: async (_payload, ctx) => {
    ctx.progress(10, "x".repeat(6_000));
    await sleep(500);
  },
});

const listeners: pg.Client[] = [];
afterEach(async () => {
  await Promise.all(listeners.splice(0).map((client) => client.end()));
});

interface Heard {
  events: Record<string, unknown>[];
  notifications: number;
}

/** Collects the execution events published from now on. */
async function listenForEvents(): Promise<Heard> {
  const client = new pg.Client(testDatabaseUrl());
  listeners.push(client);
  await client.connect();
  const heard: Heard = { events: [], notifications: 0 };
  client.on("notification", (message) => {
    heard.notifications++;
    heard.events.push(...JSON.parse(message.payload ?? "[]"));
  });
  await client.query(`listen ${EVENTS_CHANNEL}`);
  return heard;
}

describe("worker lifecycle", () => {
  it("publishes job events in batches, far fewer notifications than events", async () => {
    const heard = await listenForEvents();
    const seen = heard.events;
    await startTestWorker([noop]);
    const ids = await enqueueMany(
      db(),
      Array.from({ length: 200 }, (_, n) => ({ task: noop, payload: { n } })),
    );
    await waitFor(async () =>
      ids.every((id) => seen.some((e) => e.id === id && e.status === "succeeded")),
    );
    // One notification per ledger flush, each carrying the events of many jobs.
    expect(heard.notifications).toBeLessThan(ids.length / 2);
    expect(seen.find((e) => e.id === ids[0] && e.status === "succeeded")).toEqual({
      id: ids[0],
      task: "noop",
      lane: "realtime",
      status: "succeeded",
      progress: 100,
      message: null,
    });
  });

  it("publishes a running job's progress with its message", async () => {
    const seen = (await listenForEvents()).events;
    await startTestWorker([patient]);
    const id = await enqueue(db(), patient, { ms: 300 });
    await waitForStatus(id, "succeeded");
    await waitFor(async () => seen.some((e) => e.id === id && e.status === "succeeded"));
    expect(seen.filter((e) => e.id === id).map((e) => [e.status, e.progress, e.message])).toEqual([
      ["running", 40, RENDERING],
      ["succeeded", 100, null],
    ]);
  });

  it("keeps a long progress message whole in the ledger and cut short in its events", async () => {
    const seen = (await listenForEvents()).events;
    await startTestWorker([verbose]);
    // Together far past PostgreSQL's 8000-byte NOTIFY limit, were they sent whole in one batch.
    const ids = await enqueueMany(
      db(),
      Array.from({ length: 20 }, (_, n) => ({ task: verbose, payload: { n } })),
    );
    const running = await waitFor(async () => {
      const current = await execution(ids[0] as string);
      return current.status === "running" ? current : undefined;
    });
    expect(running.progress_message).toBe("x".repeat(6_000));
    await Promise.all(ids.map((id) => waitForStatus(id, "succeeded")));
    await waitFor(async () => ids.every((id) => seen.some((e) => e.id === id)));
    const progress = seen.find((e) => e.id === ids[0] && e.status === "running");
    expect(progress?.message).toBe("x".repeat(1_000));
  });

  it("stores progress while a job runs", async () => {
    await startTestWorker([patient]);
    const id = await enqueue(db(), patient, { ms: 2_000 });
    const row = await waitFor(async () => {
      const current = await execution(id);
      return current.progress === 40 ? current : undefined;
    });
    expect(row).toMatchObject({ status: "running", progress_message: RENDERING });
  });

  it("lets a running job finish within the shutdown grace", async () => {
    const worker = await startTestWorker([patient], { shutdownGraceMs: 2_000 });
    const id = await enqueue(db(), patient, { ms: 300 });
    await waitForStatus(id, "running");
    await worker.stop();
    expect((await execution(id)).status).toBe("succeeded");
  });

  it("aborts a job past the grace and puts it back, numbered once and without spending the attempt", async () => {
    const worker = await startTestWorker([patient], { shutdownGraceMs: 200 });
    const id = await enqueue(db(), patient, { ms: 60_000 });
    await waitForStatus(id, "running");
    await worker.stop();
    const row = await execution(id);
    expect(row.status).toBe("retrying");
    // Earlier tests in this file may leave their own jobs behind; this one's must still be there.
    const job = await sql<{
      id: string;
    }>`select id from graphile_worker.jobs where id = ${row.job_id}`.execute(db());
    expect(job.rows).toHaveLength(1);
    const stopped = await db()
      .selectFrom("workers")
      .select("stopped_at")
      .where("id", "=", worker.id)
      .executeTakeFirstOrThrow();
    expect(stopped.stopped_at).not.toBeNull();
    await sql`update graphile_worker._private_jobs set payload = jsonb_set(payload::jsonb, '{p,ms}', '10')::json`.execute(
      db(),
    );
    await startTestWorker([patient]);
    const done = await waitForStatus(id, "succeeded");
    expect(done.attempts).toBe(2);
    const history = await db()
      .selectFrom("execution_attempts")
      .select(["attempt", "outcome"])
      .where("execution_id", "=", done.id)
      .orderBy("started_at")
      .execute();
    expect(history).toEqual([
      { attempt: 1, outcome: "abandoned" },
      { attempt: 2, outcome: "succeeded" },
    ]);
    // The abandoned attempt was not spent: the budget grew by one.
    expect(done.max_attempts).toBe(patient.maxAttempts + 1);
  });

  it("keeps beating while it drains, so no one runs its job a second time", async () => {
    // The grace outlasts the silent threshold: a worker that stopped beating as it began to
    // drain would be taken for dead while its job still runs.
    const draining = await startTestWorker([patient], {
      shutdownGraceMs: 5_000,
      silentAfterMs: 1_000,
      heartbeatIntervalMs: 200,
    });
    const id = await enqueue(db(), patient, { ms: 2_500 });
    await waitForStatus(id, "running");
    await startTestWorker([patient], { silentAfterMs: 1_000, heartbeatIntervalMs: 200 });
    await draining.stop();
    const done = await execution(id);
    expect(done).toMatchObject({ status: "succeeded", attempts: 1, worker_id: draining.id });
    const history = await db()
      .selectFrom("execution_attempts")
      .select("attempt")
      .where("execution_id", "=", done.id)
      .execute();
    expect(history).toEqual([]);
  });

  it("recycles after its job limit: drains, stops and says why", async () => {
    let recycled: string | undefined;
    const worker = await startTestWorker([noop], {
      maxJobs: 5,
      onRecycled: (reason) => (recycled = reason),
    });
    await enqueueMany(
      db(),
      Array.from({ length: 20 }, (_, n) => ({ task: noop, payload: { n } })),
    );
    await waitFor(async () => recycled);
    expect(recycled).toMatch(/ran \d+ jobs \(limit 5\)/);
    const row = await db()
      .selectFrom("workers")
      .select(["stopped_at", "jobs_done"])
      .where("id", "=", worker.id)
      .executeTakeFirstOrThrow();
    expect(row.stopped_at).not.toBeNull();
  });

  it("gives a crontab job an execution when it starts", async () => {
    await startTestWorker([noop]);
    await sql`select graphile_worker.add_job('noop', json_build_object('_cron', json_build_object('ts', now())), flags => array['realtime'])`.execute(
      db(),
    );
    const row = await waitFor(() =>
      db()
        .selectFrom("executions")
        .selectAll()
        .where("correlation_id", "=", "crontab")
        .executeTakeFirst(),
    );
    expect(row.task_name).toBe("noop");
    await waitForStatus(row.public_id, ["succeeded", "dead"]);
  });
});
