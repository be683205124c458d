import { Hono } from "hono";
import { Kysely, PostgresDialect, sql } from "kysely";
import { describe, expect, it } from "vitest";
import type { Scope } from "../../../src/api/auth/principal.ts";
import { createApiToken, hashApiToken } from "../../../src/api/auth/tokens.ts";
import type { AppEnv } from "../../../src/api/context.ts";
import { type ErrorBody, toErrorResponse } from "../../../src/api/errors.ts";
import { authenticate } from "../../../src/api/middleware/authenticate.ts";
import { rateLimitPerToken } from "../../../src/api/middleware/rateLimitPerToken.ts";
import { ConfigError, loadConfig } from "../../../src/config.ts";
import type { Database } from "../../../src/database/schema.ts";
import type { RateLimit } from "../../../src/engine/limits/rateLimit.ts";
import { testDb } from "../../support/database.ts";

const db = () => testDb().db;
let counter = 0;

async function newToken(scopes: Scope[] = ["read"]) {
  return (await createApiToken(db(), { name: `rate-test-${++counter}`, scopes })).token;
}

/** One API process: its own authentication cache and its own memory of empty buckets. */
function limitedApp(rateLimit: RateLimit) {
  const app = new Hono<AppEnv>();
  app.use(authenticate({ db: db() }));
  app.use(rateLimitPerToken({ db: db(), rateLimit }));
  app.get("/healthz", (c) => c.json({ status: "ok" }));
  app.get("/ping", (c) => c.json({ pong: true }));
  app.onError(toErrorResponse);
  return app;
}

const get = (app: Hono<AppEnv>, token: string) =>
  app.request("/ping", { headers: { Authorization: `Bearer ${token}` } });

describe("rateLimitPerToken", () => {
  it("answers 429 with Retry-After once the token's bucket is empty", async () => {
    const app = limitedApp({ limit: 3, perSeconds: 60 });
    const token = await newToken();
    for (let i = 0; i < 3; i++) expect((await get(app, token)).status).toBe(200);

    const refused = await get(app, token);
    expect(refused.status).toBe(429);
    // One token every 20 s: the next one is 20 s away, rounded up to whole seconds.
    expect(refused.headers.get("retry-after")).toBe("20");
    const body = (await refused.json()) as ErrorBody;
    expect(body.error.code).toBe("rate_limited");
    expect(body.error.message).toMatch(/retry in 20 s/);
    expect(body.error.details).toEqual([]);

    // Refused again from memory, with a Retry-After that never rounds down to 0.
    const again = await get(app, token);
    expect(again.status).toBe(429);
    expect(Number(again.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(Number(again.headers.get("retry-after"))).toBeLessThanOrEqual(20);
  });

  it("keeps each token's budget separate", async () => {
    const app = limitedApp({ limit: 1, perSeconds: 3600 });
    const first = await newToken();
    const second = await newToken();
    expect((await get(app, first)).status).toBe(200);
    expect((await get(app, first)).status).toBe(429);
    expect((await get(app, second)).status).toBe(200);
    expect((await get(app, second)).status).toBe(429);
  });

  it("shares one budget between API processes", async () => {
    const rateLimit = { limit: 2, perSeconds: 3600 };
    const [one, two] = [limitedApp(rateLimit), limitedApp(rateLimit)];
    const token = await newToken();
    expect((await get(one, token)).status).toBe(200);
    expect((await get(two, token)).status).toBe(200);
    expect((await get(one, token)).status).toBe(429);
    expect((await get(two, token)).status).toBe(429);
  });

  it("refills over time", async () => {
    const app = limitedApp({ limit: 10, perSeconds: 1, burst: 1 });
    const token = await newToken();
    expect((await get(app, token)).status).toBe(200);
    const refused = await get(app, token);
    expect(refused.status).toBe(429);
    expect(refused.headers.get("retry-after")).toBe("1");
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect((await get(app, token)).status).toBe(200);
  });

  it("serves a busy token from batches of its bucket, never more than were taken", async () => {
    let roundTrips = 0;
    const { pool } = testDb();
    const countingDb = new Kysely<Database>({
      dialect: new PostgresDialect({
        pool: { connect: () => pool.connect(), end: async () => {}, options: pool.options },
      }),
      log: (event) => {
        if (event.level === "query") roundTrips++;
      },
    });
    const app = new Hono<AppEnv>();
    app.use(authenticate({ db: db() }));
    app.use(rateLimitPerToken({ db: countingDb, rateLimit: { limit: 60_000, perSeconds: 60 } }));
    app.get("/ping", (c) => c.json({ pong: true }));
    const token = await newToken();
    const startedAt = Date.now();
    for (let i = 0; i < 200; i++) expect((await get(app, token)).status).toBe(200);
    const refilled = Math.ceil(((Date.now() - startedAt) / 1000) * 1000);
    expect(roundTrips).toBeLessThan(40);
    const { rows } = await sql<{ tokens: number }>`
      select r.tokens from rate_limits r join api_tokens t on r.key = 'api:token:' || t.id
      where t.token_hash = ${hashApiToken(token)}`.execute(db());
    // The bucket refills 1000 tokens a second; whatever was served came out of it.
    expect(rows[0]?.tokens).toBeLessThanOrEqual(60_000 - 200 + refilled);
  });

  it("does not limit open paths", async () => {
    const app = limitedApp({ limit: 1, perSeconds: 3600 });
    for (let i = 0; i < 3; i++) expect((await app.request("/healthz")).status).toBe(200);
  });
});

describe("API_RATE_LIMIT", () => {
  it("defaults to 600 per minute and parses Celery-style limits", () => {
    expect(loadConfig({}).api.rateLimit).toEqual({ limit: 600, perSeconds: 60 });
    expect(loadConfig({ API_RATE_LIMIT: "20/s" }).api.rateLimit).toEqual({
      limit: 20,
      perSeconds: 1,
    });
  });

  it("names the variable of a bad value", () => {
    expect(() => loadConfig({ API_RATE_LIMIT: "lots" })).toThrow(ConfigError);
    expect(() => loadConfig({ API_RATE_LIMIT: "lots" })).toThrow(/API_RATE_LIMIT: value must look/);
  });
});
