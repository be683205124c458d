import { beforeAll, describe, expect, it } from "vitest";
import { callRoutes } from "../../../src/api/routes/calls.ts";
import { TaskRegistry } from "../../../src/engine/registry.ts";
import { authHeaders, testApp } from "../../support/app.ts";
import { callTasks } from "../../support/calls.ts";
import { db } from "../../support/engine.ts";

// biome-ignore lint/suspicious/noExplicitAny: response bodies are checked field by field.
type Json = any;

const registry = new TaskRegistry(callTasks);
let read: Record<string, string>;
let queueName: string;
let agentId: number;

function app() {
  const api = testApp(undefined, { registry });
  api.route("/", callRoutes({ db: db(), registry }));
  return api;
}

async function get(path: string, headers = read) {
  const response = await app().request(path, { headers });
  return { status: response.status, body: (await response.json()) as Json };
}

let serial = 0;
const sid = () => `CA${(Date.now() * 1000 + ++serial).toString(16).padStart(32, "0")}`;

beforeAll(async () => {
  read = await authHeaders("read");
  const queue = await db()
    .insertInto("call_queues")
    .values({ name: `list-${process.pid}` })
    .returning(["id", "name"])
    .executeTakeFirstOrThrow();
  queueName = queue.name;
  const agent = await db()
    .insertInto("agents")
    .values({ name: "List agent" })
    .returning("id")
    .executeTakeFirstOrThrow();
  agentId = agent.id;
  const at = (seconds: number) => new Date(Date.UTC(2026, 0, 5, 9, 0, seconds));
  await db()
    .insertInto("calls")
    .values([
      {
        sid: sid(),
        direction: "inbound",
        from_number: "+15551000001",
        to_number: "+15005550201",
        call_queue_id: queue.id,
        status: "completed",
        created_at: at(1),
        enqueued_at: at(1),
        answered_at: at(4),
        ended_at: at(64),
        agent_id: agent.id,
        queue_result: "bridged",
        wait_seconds: 3,
        talk_seconds: 60,
        wrap_up_seconds: 9,
        outcome: "completed",
      },
      {
        sid: sid(),
        direction: "inbound",
        from_number: "+15551000002",
        to_number: "+15005550201",
        call_queue_id: queue.id,
        status: "completed",
        created_at: at(2),
        enqueued_at: at(2),
        ended_at: at(30),
        queue_result: "hangup",
        wait_seconds: 28,
        outcome: "abandoned",
      },
      {
        sid: sid(),
        direction: "inbound",
        from_number: "+15551000003",
        to_number: "+15005550201",
        call_queue_id: queue.id,
        status: "in-progress",
        created_at: at(3),
        enqueued_at: at(3),
      },
    ])
    .execute();
});

describe("GET /api/calls", () => {
  it("lists a call queue's calls newest first, with how each inbound call went", async () => {
    const { status, body } = await get(`/api/calls?direction=inbound&call_queue=${queueName}`);
    expect(status).toBe(200);
    expect(body.calls.map((call: Json) => call.from_number)).toEqual([
      "+15551000003",
      "+15551000002",
      "+15551000001",
    ]);
    expect(body.next_cursor).toBeNull();
    expect(body.calls[2]).toMatchObject({
      direction: "inbound",
      call_queue: queueName,
      agent_id: agentId,
      enqueued_at: "2026-01-05T09:00:01.000Z",
      answered_at: "2026-01-05T09:00:04.000Z",
      ended_at: "2026-01-05T09:01:04.000Z",
      queue_result: "bridged",
      wait_seconds: 3,
      talk_seconds: 60,
      hold_seconds: 0,
      wrap_up_seconds: 9,
      outcome: "completed",
    });
    expect(body.calls[2].events).toBeUndefined();
    expect(body.calls[0].outcome).toBeNull();

    const abandoned = await get(`/api/calls?call_queue=${queueName}&outcome=abandoned`);
    expect(abandoned.body.calls.map((call: Json) => call.from_number)).toEqual(["+15551000002"]);
    const outbound = await get(`/api/calls?direction=outbound-api&call_queue=${queueName}`);
    expect(outbound.body.calls).toEqual([]);

    // The same call, read alone, carries the same fields and its events.
    const one = await get(`/api/calls/${body.calls[2].call_sid}`);
    expect(one.body).toMatchObject({ ...body.calls[2], events: [] });
  });

  it("pages with next_cursor, each call once", async () => {
    const seen: string[] = [];
    let path = `/api/calls?call_queue=${queueName}&limit=2`;
    for (let pages = 0; pages < 3; pages++) {
      const { status, body } = await get(path);
      expect(status).toBe(200);
      seen.push(...body.calls.map((call: Json) => call.from_number));
      if (!body.next_cursor) break;
      path = `/api/calls?call_queue=${queueName}&limit=2&cursor=${body.next_cursor}`;
    }
    expect(seen).toEqual(["+15551000003", "+15551000002", "+15551000001"]);
  });

  it("refuses bad filters naming the field, and answers only a token", async () => {
    const fields = async (query: string) => {
      const { status, body } = await get(`/api/calls?${query}`);
      expect(status).toBe(400);
      return body.error.details.map((detail: Json) => detail.path);
    };
    expect(await fields("direction=sideways")).toEqual(["direction"]);
    expect(await fields("outcome=great")).toEqual(["outcome"]);
    expect(await fields("limit=0")).toEqual(["limit"]);
    expect(await fields("limit=501")).toEqual(["limit"]);
    expect(await fields("cursor=nope")).toEqual(["cursor"]);
    expect(await fields("call_queue=")).toEqual(["call_queue"]);
    const anonymous = await app().request("/api/calls");
    expect(anonymous.status).toBe(401);
  });
});
