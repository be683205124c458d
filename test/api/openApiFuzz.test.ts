/**
 * Every operation of the OpenAPI document, driven over real HTTP with generated and mutated
 * input (see test/support/openApiFuzz.ts) and an admin token, against rows a worker made for
 * real (scheduled, dead, succeeded and cancelled executions, a placed call, a stored recording,
 * a running campaign, an agent). No response may be a 5xx or stray from the document, every operation
 * must answer with success at least once (so its valid input reached the handler), and
 * afterwards every live execution has its job and every job its execution.
 *
 * FUZZ_SEED and FUZZ_RUNS (requests per operation, before shrinking) change the run; a failure
 * names the seed that reproduces it. Routes outside the document (probes, metrics, the event
 * stream, the Twilio webhooks, the docs) are not driven here.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EventHub } from "../../src/api/events/eventHub.ts";
import type { ApiServer } from "../../src/api/server.ts";
import { listen } from "../../src/api/server.ts";
import { parseCrontabEntries } from "../../src/engine/crontab.ts";
import { TaskRegistry } from "../../src/engine/registry.ts";
import { createLogger } from "../../src/observability/logger.ts";
import { parseRateLimit } from "../../src/shared/rateLimitSpec.ts";
import { tasks } from "../../tasks/index.ts";
import { authHeaders, testApp } from "../support/app.ts";
import { waitForFinalCall } from "../support/calls.ts";
import { testDb } from "../support/database.ts";
import { db, startTestWorker, waitFor, waitForStatus } from "../support/engine.ts";
import { cursorOf } from "../support/hostileInput.ts";
import { orphanIds } from "../support/invariants.ts";
import { arbitraryOfSchema, type JsonSchema } from "../support/jsonSchemaArbitrary.ts";
import {
  type FuzzRequest,
  type OpenApiDocument,
  type Operation,
  operationsOf,
  type RequestArbitraryOptions,
  ResponseChecker,
  requestArbitrary,
  sendFuzzRequest,
} from "../support/openApiFuzz.ts";
import { newRecording } from "../support/recordings.ts";
import { startTestServices, type TestServices } from "../support/services.ts";

const seed = Number(process.env.FUZZ_SEED ?? 13_090);
const runs = Number(process.env.FUZZ_RUNS ?? 150);

let services: TestServices;
let hub: EventHub;
let server: ApiServer;
let base: string;
let admin: Record<string, string>;

beforeAll(async () => {
  services = await startTestServices({ timing: { talkMs: 50 } });
  hub = new EventHub({ logger: createLogger("silent") });
  const app = testApp(testDb().pool, {
    hub,
    registry: new TaskRegistry(tasks),
    schedule: parseCrontabEntries("*/5 * * * * system_health_check\n", {}),
    services: services.services,
    twilio: services.services.twilio,
    // Thousands of requests from one token: the rate limit is not what is fuzzed here.
    settings: { rateLimit: parseRateLimit("1000000/s") },
  });
  server = await listen(app, "127.0.0.1", 0);
  base = `http://127.0.0.1:${server.port}`;
  services.services.twilio.publicBaseUrl = base;
  const { authorization } = await authHeaders("admin");
  admin = { authorization: authorization as string };
});

afterAll(async () => {
  await server?.close();
  await hub?.stop();
});

// biome-ignore lint/suspicious/noExplicitAny: response bodies are read field by field.
type Json = any;

async function call(method: string, path: string, body?: unknown): Promise<Json> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { ...admin, "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const answer = await response.json();
  if (response.status >= 300) throw new Error(`${method} ${path}: ${JSON.stringify(answer)}`);
  return answer;
}

const execute = (task: string, payload: unknown, options: unknown = {}) =>
  call("POST", `/api/tasks/${task}/execute`, { payload, options }).then(
    (answer) => answer.task_id as string,
  );

/** Rows of every kind the routes read, made through the API and run by a real worker. */
async function seedRows() {
  const worker = await startTestWorker(tasks, { services: services.services });
  const scheduled = await execute("debug_task", {}, { delay_seconds: 3600 });
  const dead = await execute("debug_task", { fail: "permanent" });
  const succeeded = await execute("debug_task", {});
  const cancelled = await execute("debug_task", {}, { delay_seconds: 3600 });
  await call("POST", `/api/tasks/executions/${cancelled}/cancel`);
  const queuedCall = await call("POST", "/api/calls", { to_number: "+15554001000" });
  // Its second call waits an hour, so calls can still join it.
  const campaign = await call("POST", "/api/calls/bulk", {
    phone_numbers: ["+15554001001", "+15554001002"],
    delay_between_calls: 3600,
  });
  const recording = await newRecording(db(), services);
  const agent = await db()
    .insertInto("agents")
    .values({ name: "Fuzzed agent" })
    .returning("id")
    .executeTakeFirstOrThrow();
  const stored = await execute("process_call_recording", { recording_id: recording.id });
  const report = await call("POST", "/api/tasks/reports/generate", {
    report_type: "daily",
    date_str: "2026-03-08",
  });
  const exported = await call("POST", "/api/tasks/export/", {
    start_date: "2026-01-01T00:00:00Z",
    end_date: "2026-01-02T00:00:00Z",
  });
  const mailed = await execute("send_email", {
    to_email: "fuzz@example.com",
    subject: "Fuzzed",
    body: "Kept by the mail sink",
  });
  await waitForStatus(dead, "dead");
  await Promise.all(
    [succeeded, stored, report.task_id, exported.task_id, mailed].map((id) =>
      waitForStatus(id, "succeeded"),
    ),
  );
  const placed = await waitForFinalCall(queuedCall.call_id);
  await waitFor(() =>
    db()
      .selectFrom("campaigns")
      .select("public_id")
      .where("public_id", "=", campaign.campaign_id)
      .executeTakeFirst(),
  );
  await services.simulator.whenIdle(15_000);
  await worker.stop();
  const executionsCursor = (await call("GET", "/api/tasks/executions?limit=1")).next_cursor;
  const auditCursor = (await call("GET", "/api/audit?limit=1")).next_cursor;
  return {
    executions: [scheduled, dead, succeeded, cancelled],
    callIds: [queuedCall.call_id as string],
    callSids: [placed.sid as string],
    campaignIds: [campaign.campaign_id as string],
    recordingIds: [recording.id],
    agentIds: [agent.id],
    reportCacheKeys: [report.cache_key as string],
    exportCacheKeys: [exported.cache_key as string],
    mailIds: (await call("GET", "/api/mail/")).items.map((mail: Json) => mail.id as string),
    cursors: [executionsCursor as string, auditCursor as string],
  };
}

type Seeded = Awaited<ReturnType<typeof seedRows>>;

const unknownUuid = "0196f1c4-0000-7000-8000-000000000000";
const e164 = fc.stringMatching(/^\+1555\d{7}$/);

/** Real values where the document's schemas cannot know them. */
function optionsFor(
  operation: Operation,
  seeded: Seeded,
  document: OpenApiDocument,
  taskSchemas: Map<string, JsonSchema>,
): RequestArbitraryOptions {
  const components = document.components.schemas;
  const executionId = fc.constantFrom(...seeded.executions, unknownUuid);
  const knownValues: Record<string, fc.Arbitrary<unknown>> = {
    task_id: executionId,
    public_id: executionId,
    sid: fc.constantFrom(...seeded.callIds, ...seeded.callSids, `CA${"0".repeat(32)}`),
    cursor: fc.constantFrom(...seeded.cursors, cursorOf("2026-01-01T00:00:00.000000Z", 1)),
    status: fc.constantFrom("dead", "failure", "queued,running", "pending,revoked"),
    task_ids: fc.array(executionId, { minLength: 1, maxLength: 3 }),
    phone_numbers: fc.array(e164, { minLength: 1, maxLength: 3 }),
    campaign_id: fc.constantFrom(...seeded.campaignIds),
    cache_key: fc.constantFrom(...seeded.reportCacheKeys, "0".repeat(32)),
    // The status lookup's wait, short: the fuzz drives requests, not the clock.
    wait: fc.constantFrom("0", "0.05", "0.2"),
    schedule_time: fc
      .integer({ min: 60_000, max: 365 * 86_400_000 })
      .map((ms) => new Date(Date.now() + ms).toISOString()),
  };
  if (operation.path.startsWith("/api/campaigns/")) {
    knownValues.id = fc.constantFrom(...seeded.campaignIds, unknownUuid);
  }
  if (operation.path.startsWith("/api/recordings/")) {
    knownValues.id = fc.constantFrom(...seeded.recordingIds, 999_999);
  }
  if (operation.path.startsWith("/api/tasks/export/download")) {
    knownValues.cache_key = fc.constantFrom(...seeded.exportCacheKeys, "f".repeat(64));
  }
  if (operation.path.startsWith("/api/mail/")) {
    knownValues.id = fc.constantFrom(...seeded.mailIds, "20200101T000000000Z-000000000000");
  }
  if (operation.key === "POST /api/schedule/{task_name}/run") {
    knownValues.task_name = fc.constantFrom("system_health_check", "no_such_task");
  }
  if (operation.path.startsWith("/api/agents/")) {
    knownValues.id = fc.constantFrom(...seeded.agentIds.map(String), "999999");
  }
  if (operation.key === "POST /api/tasks/{task_name}/execute") {
    // A task's name with a payload of its own schema (or an unknown task), and options with
    // one of run_at, delay_seconds and countdown, and no relative expiry.
    const executeSchema = components.ExecuteTask as JsonSchema & { properties: JsonSchema };
    const options = arbitraryOfSchema(executeSchema.properties.options as JsonSchema, {
      components,
    }).map((value) => {
      const { run_at, countdown, expires: _, ...rest } = value as Record<string, unknown>;
      if (rest.delay_seconds !== undefined) return rest;
      return countdown === undefined ? { ...rest, run_at } : { ...rest, countdown };
    });
    const valid = fc.constantFrom(...taskSchemas.keys(), "no_such_task").chain((name) =>
      fc
        .record(
          {
            payload: arbitraryOfSchema(taskSchemas.get(name) ?? { type: "object" }, {
              components,
            }),
            options,
          },
          { requiredKeys: ["payload"] },
        )
        .map((body) => ({ path: [name], body })),
    );
    return { components, knownValues, valid };
  }
  if (operation.key === "POST /api/tasks/bulk-actions") {
    // Executions by id or by filters, not both.
    const valid = arbitraryOfSchema(components.BulkAction as JsonSchema, {
      components,
      knownValues,
    }).map((value) => {
      const { task_ids, filters, ...rest } = value as Record<string, unknown>;
      const byId = { ...rest, task_ids: task_ids ?? seeded.executions.slice(0, 1) };
      return { path: [], body: filters ? { ...rest, filters } : byId };
    });
    return { components, knownValues, valid };
  }
  return { components, knownValues };
}

interface RouteFigures {
  requests: number;
  statuses: Map<number, number>;
}

function describeRequest(request: FuzzRequest): string {
  const query = request.query.map(([name, value]) => `${name}=${value}`).join("&");
  const body =
    request.body === undefined
      ? ""
      : ` ${request.contentType ?? "(no content type)"} ${
          typeof request.body === "string"
            ? request.body.slice(0, 300)
            : `bytes ${Buffer.from(request.body).toString("hex")}`
        }`;
  return `${request.method} ${request.path}${query ? `?${query}` : ""}${body}`;
}

describe("the API under generated and mutated input", () => {
  it("answers every operation of its OpenAPI document without a 5xx, as the document says", async () => {
    const seeded = await seedRows();
    const before = await orphanIds(db());
    expect(before).toEqual({ executionsWithoutJob: [], jobsWithoutExecution: [] });

    const document = (await call("GET", "/api/openapi.json")) as OpenApiDocument;
    const taskList = (await call("GET", "/api/tasks")).tasks as Json[];
    const taskSchemas = new Map<string, JsonSchema>(
      taskList.map((task) => [task.name as string, task.payload_schema as JsonSchema]),
    );
    const checker = new ResponseChecker(document);
    const operations = operationsOf(document);
    const figures = new Map<string, RouteFigures>();
    const failures: string[] = [];

    for (const [index, operation] of operations.entries()) {
      const route: RouteFigures = { requests: 0, statuses: new Map() };
      figures.set(operation.key, route);
      const requests = requestArbitrary(
        operation,
        optionsFor(operation, seeded, document, taskSchemas),
      );
      const property = fc.asyncProperty(requests, async (request) => {
        route.requests++;
        const response = await sendFuzzRequest(base, request, admin);
        route.statuses.set(response.status, (route.statuses.get(response.status) ?? 0) + 1);
        const problem = checker.problem(operation, response);
        if (problem) throw new Error(problem);
      });
      const runSeed = seed + index;
      const result = await fc.check(property, {
        numRuns: runs,
        seed: runSeed,
        // Shrinking a failure can take thousands of requests; past this, report the smallest yet.
        interruptAfterTimeLimit: 15_000,
        markInterruptAsFailure: true,
      });
      if (result.failed) {
        const example = result.counterexample?.[0] as FuzzRequest | undefined;
        failures.push(
          `${operation.key} (FUZZ_SEED=${seed}, its seed ${runSeed}):\n` +
            `  ${example ? describeRequest(example) : "(no counterexample)"}\n` +
            `  ${String((result.errorInstance as Error | undefined)?.message).slice(0, 800)}`,
        );
      }
    }

    const rows = [...figures].map(([key, route]) => ({
      route: key,
      requests: route.requests,
      statuses: [...route.statuses]
        .sort(([a], [b]) => a - b)
        .map(([status, count]) => `${status}×${count}`)
        .join(" "),
    }));
    const total = rows.reduce((sum, row) => sum + row.requests, 0);
    const fiveHundreds = [...figures.values()].reduce(
      (sum, route) =>
        sum + [...route.statuses].filter(([s]) => s >= 500).reduce((n, [, c]) => n + c, 0),
      0,
    );
    console.log(
      `fuzz: FUZZ_SEED=${seed} FUZZ_RUNS=${runs}: ${total} requests over ${figures.size} routes, ` +
        `${fiveHundreds} answered 5xx, ${failures.length} routes failed\n` +
        rows
          .map(
            (row) =>
              `  ${row.route.padEnd(44)} ${String(row.requests).padStart(4)}  ${row.statuses}`,
          )
          .join("\n"),
    );

    expect(failures, failures.join("\n\n")).toEqual([]);
    const neverSucceeded = [...figures]
      .filter(([, route]) => ![...route.statuses.keys()].some((s) => s >= 200 && s < 300))
      .map(([key]) => key);
    expect(neverSucceeded).toEqual([]);
    expect(await orphanIds(db())).toEqual({
      executionsWithoutJob: [],
      jobsWithoutExecution: [],
    });
  }, 180_000);
});
