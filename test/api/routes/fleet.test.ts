import { beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { enqueue, enqueueMany } from "../../../src/engine/enqueue.ts";
import { defineTask } from "../../../src/engine/task.ts";
import { authHeaders, testApp } from "../../support/app.ts";
import { db, startTestWorker, waitFor, waitForStatus } from "../../support/engine.ts";
import {
  apiRegistry,
  failsForGood,
  processCallRecording,
} from "../../support/fixtures/apiTasks.ts";
import { waitsForCancel } from "../../support/fixtures/processTasks.ts";

// biome-ignore lint/suspicious/noExplicitAny: response bodies are checked field by field.
type Json = any;
let read: Record<string, string>;
let operate: Record<string, string>;
beforeAll(async () => {
  read = await authHeaders("read");
  operate = await authHeaders("operate");
});
const call = async (path: string, init: RequestInit = {}) => {
  const response = await testApp(undefined, { registry: apiRegistry() }).request(path, {
    headers: read,
    ...init,
  });
  return { status: response.status, body: (await response.json()) as Json };
};

describe("fleet", () => {
  it("lists live workers with their lanes and heartbeats", async () => {
    const worker = await startTestWorker(apiRegistry().all());
    const { body } = await call("/api/workers/");
    const listed = body.workers.find((w: Json) => w.id === worker.id);
    expect(listed).toMatchObject({ alive: true, type: "all", stopped_at: null });
    expect(listed.lanes).toEqual(
      expect.arrayContaining(["recordings", "notifications", "realtime"]),
    );
    expect(body.alive).toBeGreaterThanOrEqual(1);
  });

  it("pauses and resumes a lane, audited; needs operate; names a bad lane", async () => {
    expect((await call("/api/lanes/recordings/pause/", { method: "POST" })).status).toBe(403);
    const paused = await call("/api/lanes/recordings/pause/", { method: "POST", headers: operate });
    expect(paused.status).toBe(200);
    expect(paused.body).toMatchObject({
      lane: "recordings",
      paused: true,
      worker_types: ["processing"],
    });
    const lanes = await call("/api/lanes/");
    expect(lanes.body.lanes.find((l: Json) => l.lane === "recordings").paused).toBe(true);
    const resumed = await call("/api/lanes/recordings/resume/", {
      method: "POST",
      headers: operate,
    });
    expect(resumed.body.paused).toBe(false);
    const audit = await db()
      .selectFrom("audit_log")
      .select("action")
      .where("action", "like", "lane.%")
      .execute();
    expect(audit.map((row) => row.action)).toEqual(["lane.pause", "lane.resume"]);
    const bad = await call("/api/lanes/phones/pause/", { method: "POST", headers: operate });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details[0].path).toBe("lane");
  });
});

describe("health", () => {
  it("reports healthy with a live worker, and per-lane metrics", async () => {
    await startTestWorker(apiRegistry().all());
    const id = await enqueue(db(), processCallRecording, { call_id: 3 });
    await waitForStatus(id, "succeeded");
    const health = await call("/api/tasks/health/");
    expect(health.body.status).toBe("healthy");
    expect(health.body.workers.alive).toBeGreaterThanOrEqual(1);
    expect(health.body.last_hour.succeeded).toBeGreaterThanOrEqual(1);
    const queues = await call("/api/tasks/health/queues/");
    const recordings = queues.body.lanes.find((l: Json) => l.lane === "recordings");
    expect(recordings).toMatchObject({ concurrency: 2, paused: false });
    expect(recordings.throughput_per_minute_60m).toBeGreaterThan(0);
    expect(recordings.workers.length).toBeGreaterThanOrEqual(1);
  });

  it("reports unhealthy with the reason when no worker is alive", async () => {
    await db().updateTable("workers").set({ stopped_at: new Date() }).execute();
    const health = await call("/api/tasks/health/");
    expect(health.body.status).toBe("unhealthy");
    expect(health.body.reasons).toContain("no worker is alive");
  });

  it("groups failures by task and error class; lists slow tasks; validates the query", async () => {
    await startTestWorker([...apiRegistry().all(), waitsForCancel]);
    const id = await enqueue(db(), failsForGood, {});
    await waitForStatus(id, "dead");
    const failures = await call("/api/tasks/health/failures/?hours=1");
    expect(failures.body.failures).toContainEqual(
      expect.objectContaining({
        task_name: "fails_for_good",
        error_class: "PermanentError",
        sample_message: "no such call",
      }),
    );
    const running = await enqueue(db(), waitsForCancel, {});
    await waitForStatus(running, "running");
    const slow = await waitFor(async () => {
      const listed = await call("/api/tasks/health/slow/?threshold=0.001");
      return listed.body.running.length > 0 && listed;
    });
    expect(slow.status).toBe(200);
    expect(slow.body.threshold_seconds).toBe(0.001);
    expect(slow.body.running).toEqual([
      expect.objectContaining({
        task_id: running,
        task_name: "long_running_task",
        lane: "reports",
      }),
    ]);
    const patient = await call("/api/tasks/health/slow/?threshold=3600");
    expect(patient.body.running).toEqual([]);
    expect((await call("/api/tasks/health/slow/?threshold=-1")).status).toBe(400);
    expect((await call("/api/tasks/health/failures/?hours=abc")).status).toBe(400);
  });

  it("names each task no live worker knows with its count of waiting jobs, and degrades", async () => {
    await startTestWorker(apiRegistry().all(), { silentAfterMs: 1_000, heartbeatIntervalMs: 100 });
    const removed = defineTask({
      name: "removed_in_last_deploy",
      lane: "recordings",
      payload: z.object({ n: z.number() }),
      run: async () => null,
    });
    await enqueueMany(
      db(),
      Array.from({ length: 3 }, (_, n) => ({ task: removed, payload: { n } })),
    );
    const health = await waitFor(async () => {
      const answer = await call("/api/tasks/health/");
      const named = answer.body.unknown_tasks?.map((task: Json) => task.task_name);
      return named?.includes("removed_in_last_deploy") && answer;
    });
    expect(health.body.status).toBe("degraded");
    // An earlier test's job of a task this worker does not know is parked too.
    expect(health.body.unknown_tasks).toContainEqual({
      task_name: "removed_in_last_deploy",
      waiting: 3,
    });
    expect(health.body.reasons).toContain(
      "task removed_in_last_deploy: 3 jobs waiting and no live worker knows the task",
    );
  });
});
