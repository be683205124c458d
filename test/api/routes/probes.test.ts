import { describe, expect, it } from "vitest";
import type { ErrorBody } from "../../../src/api/errors.ts";
import { authHeaders, testApp } from "../../support/app.ts";
import { createBlankDatabase, createTestPool } from "../../support/database.ts";

describe("probes", () => {
  it("GET /healthz answers while the process lives", async () => {
    const response = await testApp().request("/healthz");
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "ok" });
  });

  it("GET /readyz is 200 on a migrated database", async () => {
    const response = await testApp().request("/readyz");
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "ready" });
    expect(response.headers.get("x-request-id")).toBeTruthy();
  });

  it("GET /readyz is 503 with the reason on an unmigrated database", async () => {
    const pool = createTestPool(2, await createBlankDatabase());
    const response = await testApp(pool).request("/readyz");
    expect(response.status).toBe(503);
    const body = (await response.json()) as ErrorBody;
    expect(body.error.code).toBe("not_ready");
    expect(body.error.message).toMatch(/graphile-worker schema is not installed/);
  });

  it("GET /readyz is 503 when the database is unreachable", async () => {
    const pool = createTestPool(1, "postgres://nobody@127.0.0.1:1/none");
    const response = await testApp(pool).request("/readyz");
    expect(response.status).toBe(503);
    expect(((await response.json()) as ErrorBody).error.message).toMatch(/database unreachable/);
  });

  it("answers unknown routes with the JSON error format", async () => {
    const response = await testApp().request("/no/such/route", {
      headers: await authHeaders("read"),
    });
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({
      error: { code: "not_found", message: "No route for GET /no/such/route", details: [] },
    });
  });
});
