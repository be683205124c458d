/** While the database cannot be reached, every route says so with 503, never 500. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ApiServer, listen } from "../../src/api/server.ts";
import { freePort } from "../../src/database/embedded.ts";
import { createPool, type Pool } from "../../src/database/pool.ts";
import { testApp } from "../support/app.ts";
import { apiRegistry } from "../support/fixtures/apiTasks.ts";

let server: ApiServer;
let base: string;
let pool: Pool;

beforeAll(async () => {
  pool = createPool(`postgres://postgres@127.0.0.1:${await freePort()}/postgres`, 2);
  server = await listen(testApp(pool, { registry: apiRegistry() }), "127.0.0.1", 0);
  base = `http://127.0.0.1:${server.port}`;
});
afterAll(async () => {
  await server.close();
  await pool.end();
});

describe("with the database away", () => {
  const headers = {
    authorization: `Bearer sb_${"a".repeat(43)}`,
    "content-type": "application/json",
  };
  const routes: [string, string, unknown?][] = [
    ["GET", "/api/tasks/executions/"],
    ["GET", "/api/tasks/health/"],
    ["GET", "/api/workers/"],
    ["GET", "/api/audit/"],
    ["GET", "/api/alerts/"],
    ["POST", "/api/tasks/debug_task/execute/", { payload: {} }],
    ["POST", "/api/tasks/executions/bulk/", { action: "retry", filter: {} }],
  ];
  it.each(routes)("%s %s answers 503 database_unavailable", async (method, path, body) => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    expect(response.status).toBe(503);
    expect(response.headers.get("retry-after")).toBe("5");
    const answer = (await response.json()) as { error: { code: string } };
    expect(answer.error.code).toBe("database_unavailable");
  });

  it("keeps answering liveness, and readiness says why it is not ready", async () => {
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/readyz`)).status).toBe(503);
  });
});
