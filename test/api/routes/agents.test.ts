import { describe, expect, it } from "vitest";
import { authHeaders, testApp } from "../../support/app.ts";
import { db } from "../../support/engine.ts";

// biome-ignore lint/suspicious/noExplicitAny: response bodies are checked field by field.
type Json = any;

async function agent() {
  return db()
    .insertInto("agents")
    .values({ name: "Ada" })
    .returning("id")
    .executeTakeFirstOrThrow();
}

async function setState(id: number | string, body: unknown, headers: Record<string, string>) {
  const response = await testApp().request(`/api/agents/${id}/state`, {
    method: "POST",
    headers,
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Json };
}

const events = (agentId: number) =>
  db()
    .selectFrom("agent_state_events")
    .select(["state", "started_at"])
    .where("agent_id", "=", agentId)
    .orderBy("started_at")
    .execute();

const status = async (agentId: number) =>
  (
    await db()
      .selectFrom("agents")
      .select("status")
      .where("id", "=", agentId)
      .executeTakeFirstOrThrow()
  ).status;

describe("POST /api/agents/{id}/state", () => {
  it("records each change once as a timed event; an older change leaves the current state", async () => {
    const operate = await authHeaders("operate");
    const { id } = await agent();
    const at = (minute: number) => `2020-01-01T09:0${minute}:00.000Z`;

    const available = await setState(id, { state: "available", started_at: at(0) }, operate);
    expect(available).toEqual({
      status: 200,
      body: { agent_id: id, state: "available", recorded: true, status: "available" },
    });
    const repeat = await setState(id, { state: "available", started_at: at(0) }, operate);
    expect(repeat.body.recorded).toBe(false);
    // Already available: a later "available" is no change either.
    expect(
      (await setState(id, { state: "available", started_at: at(1) }, operate)).body.recorded,
    ).toBe(false);

    expect(
      (await setState(id, { state: "offline", started_at: at(5) }, operate)).body,
    ).toMatchObject({
      recorded: true,
      status: "offline",
    });
    // Arriving late, a change in between is history: the agent stays offline.
    expect((await setState(id, { state: "busy", started_at: at(3) }, operate)).body).toMatchObject({
      recorded: true,
      status: "offline",
    });
    expect(await status(id)).toBe("offline");
    expect(
      (await events(id)).map((event) => [event.state, event.started_at.toISOString()]),
    ).toEqual([
      ["available", at(0)],
      ["busy", at(3)],
      ["offline", at(5)],
    ]);

    // Without started_at, the change holds from now.
    expect((await setState(id, { state: "wrap_up" }, operate)).body.status).toBe("wrap_up");
    expect(await status(id)).toBe("wrap_up");
  });

  it("refuses a bad state or time with 400 naming the field, an unknown agent with 404", async () => {
    const operate = await authHeaders("operate");
    const { id } = await agent();
    const bad = await setState(id, { state: "lunch" }, operate);
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.map((d: Json) => d.path)).toEqual(["state"]);
    const time = await setState(id, { state: "busy", started_at: "yesterday" }, operate);
    expect(time.status).toBe(400);
    expect(time.body.error.details.map((d: Json) => d.path)).toEqual(["started_at"]);
    expect((await setState("x1", { state: "busy" }, operate)).status).toBe(400);
    const missing = await setState(999_999_999, { state: "busy" }, operate);
    expect(missing.status).toBe(404);
    expect((await setState(id, { state: "busy" }, await authHeaders("read"))).status).toBe(403);
    expect(await events(id)).toEqual([]);
  });
});
