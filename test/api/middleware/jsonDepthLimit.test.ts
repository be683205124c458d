import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import type { AppEnv } from "../../../src/api/context.ts";
import { type ErrorBody, toErrorResponse } from "../../../src/api/errors.ts";
import { jsonDepthLimit, jsonTextDepth } from "../../../src/api/middleware/jsonDepthLimit.ts";

function limitedApp(maxDepth: number) {
  const app = new Hono<AppEnv>();
  app.use(jsonDepthLimit({ maxDepth }));
  app.post("/echo", async (c) => c.json({ received: await c.req.json() }));
  app.post("/text", async (c) => c.json({ length: (await c.req.text()).length }));
  app.onError(toErrorResponse);
  return app;
}

const post = (path: string, body: string, contentType = "application/json") =>
  limitedApp(3).request(path, { method: "POST", body, headers: { "content-type": contentType } });

describe("jsonTextDepth", () => {
  it("counts arrays and objects, not brackets inside strings or escaped quotes", () => {
    expect(jsonTextDepth("1")).toBe(0);
    expect(jsonTextDepth('{"a":[1,{"b":[]}]}')).toBe(4);
    expect(jsonTextDepth('{"[[[[":"{{{{"}')).toBe(1);
    expect(jsonTextDepth('["\\"[[[", "\\\\", [[]]]')).toBe(3);
  });
});

describe("jsonDepthLimit", () => {
  it("passes a body up to the limit to the route, parsed once more as usual", async () => {
    const response = await post("/echo", '{"a":[{"b":1}]}');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ received: { a: [{ b: 1 }] } });
  });

  it("refuses a deeper body with 400 naming its top-level field", async () => {
    const response = await post("/echo", '{"ok":[1],"deep":[{"b":[1]}]}');
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      error: {
        code: "validation_failed",
        message: "Invalid json: deep",
        details: [{ path: "deep", message: "nested deeper than 3 levels of arrays and objects" }],
      },
    });
  });

  it("leaves bodies that are not JSON, or not declared JSON, to the route", async () => {
    const malformed = await post("/text", "[[[[[[");
    expect(malformed.status).toBe(200);
    const plain = await post("/text", "[[[[[[]]]]]]", "text/plain");
    expect(await plain.json()).toEqual({ length: 12 });
    const vendor = await post("/echo", "[[[[1]]]]", "application/vnd.api+json; charset=utf-8");
    expect(((await vendor.json()) as ErrorBody).error.details[0]?.path).toBe("0");
  });
});
