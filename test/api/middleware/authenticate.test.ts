import { createHash } from "node:crypto";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import { requestId } from "hono/request-id";
import { sql } from "kysely";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Scope } from "../../../src/api/auth/principal.ts";
import {
  ApiTokenNameTakenError,
  createApiToken,
  hasScope,
  revokeApiToken,
  verifyApiToken,
} from "../../../src/api/auth/tokens.ts";
import type { AppEnv } from "../../../src/api/context.ts";
import { type ErrorBody, toErrorResponse } from "../../../src/api/errors.ts";
import { EventHub } from "../../../src/api/events/eventHub.ts";
import { authenticate, requireScope } from "../../../src/api/middleware/authenticate.ts";
import type { Pool } from "../../../src/database/pool.ts";
import { createTestPool, testDb } from "../../support/database.ts";
import { silentLogger } from "../../support/engine.ts";

const db = () => testDb().db;
let counter = 0;

async function newToken(scopes: Scope[], expiresInSeconds?: number) {
  const name = `auth-test-${++counter}`;
  return { name, ...(await createApiToken(db(), { name, scopes, expiresInSeconds })) };
}

/** Moves a token's expiry to `moment`, an SQL expression over the database's `now()`. */
async function expireAt(id: number, moment: string) {
  await sql`update api_tokens set created_at = now() - interval '1 day',
    expires_at = ${sql.raw(moment)} where id = ${id}`.execute(db());
}

function securedApp(cacheTtlMs = 5_000, revocations?: EventHub) {
  const app = new Hono<AppEnv>();
  app.use(requestId());
  app.use(authenticate({ db: db(), openPaths: ["/healthz", "/docs/*"], cacheTtlMs, revocations }));
  app.get("/healthz", (c) => c.json({ status: "ok" }));
  app.get("/docs/index.html", (c) => c.text("docs"));
  app.get("/read", requireScope("read"), (c) => c.json({ name: c.get("principal").name }));
  app.post("/operate", requireScope("operate"), (c) => c.json({ ok: true }));
  app.delete("/admin", requireScope("admin"), (c) => c.json({ ok: true }));
  app.onError(toErrorResponse);
  return app;
}

const bearer = (token: string) => ({ headers: { Authorization: `Bearer ${token}` } });

async function expectUnauthorized(response: Response) {
  expect(response.status).toBe(401);
  expect(response.headers.get("www-authenticate")).toMatch(/^Bearer\b/);
  const body = (await response.json()) as ErrorBody;
  expect(body.error.code).toBe("unauthorized");
  expect(body.error.details).toEqual([]);
  return body;
}

describe("hasScope", () => {
  it("lets admin imply operate and read, and operate imply read", () => {
    const as = (scopes: Scope[]) => ({ scopes });
    expect(hasScope(as(["admin"]), "read")).toBe(true);
    expect(hasScope(as(["admin"]), "operate")).toBe(true);
    expect(hasScope(as(["operate"]), "read")).toBe(true);
    expect(hasScope(as(["operate"]), "admin")).toBe(false);
    expect(hasScope(as(["read"]), "operate")).toBe(false);
    expect(hasScope(as([]), "read")).toBe(false);
  });
});

describe("API tokens", () => {
  it("stores only the SHA-256 of the secret, and a short prefix for display", async () => {
    const { id, token } = await newToken(["read"]);
    expect(token).toMatch(/^sb_[A-Za-z0-9_-]{43}$/);
    const row = await db()
      .selectFrom("api_tokens")
      .selectAll()
      .where("id", "=", id)
      .executeTakeFirstOrThrow();
    expect(row.token_hash).toBe(createHash("sha256").update(token).digest("hex"));
    expect(token.startsWith(row.token_prefix)).toBe(true);
    expect(row.token_prefix.length).toBeLessThan(16);
    expect(JSON.stringify(row)).not.toContain(token.slice(3));
  });

  it("verifies a live token and refuses unknown, malformed and revoked ones", async () => {
    const { id, name, token } = await newToken(["operate"]);
    expect(await verifyApiToken(db(), token)).toEqual({
      outcome: "valid",
      principal: { key: `token:${id}`, tokenId: id, name, scopes: ["operate"] },
      expiresInMs: null,
    });
    expect(await verifyApiToken(db(), `${token.slice(0, -1)}x`)).toEqual({ outcome: "invalid" });
    expect(await verifyApiToken(db(), "not-a-token")).toEqual({ outcome: "invalid" });
    expect(await revokeApiToken(db(), name)).toEqual({ id, outcome: "revoked" });
    expect(await revokeApiToken(db(), name)).toEqual({ id, outcome: "already_revoked" });
    expect(await revokeApiToken(db(), "no-such-token")).toEqual({ id: null, outcome: "not_found" });
    expect(await verifyApiToken(db(), token)).toEqual({ outcome: "invalid" });
  });

  it("stores an expiry counted by the database's clock, and refuses the token from then on", async () => {
    const { id, token, expiresAt } = await newToken(["read"], 30 * 86_400);
    const row = await sql<{ lifetime: string; expires_at: Date }>`
      select (expires_at - created_at)::text as lifetime, expires_at from api_tokens
      where id = ${id}`.execute(db());
    expect(row.rows[0]).toEqual({ lifetime: "30 days", expires_at: expiresAt });
    const valid = await verifyApiToken(db(), token);
    expect(valid.outcome === "valid" && valid.expiresInMs).toBeGreaterThan(
      30 * 86_400_000 - 60_000,
    );

    await expireAt(id, "now() - interval '1 second'");
    const stored = await db()
      .selectFrom("api_tokens")
      .select("expires_at")
      .where("id", "=", id)
      .executeTakeFirstOrThrow();
    expect(await verifyApiToken(db(), token)).toEqual({
      outcome: "expired",
      expiredAt: stored.expires_at,
    });
  });

  it("refuses a lifetime that is not a whole number of seconds between 1 s and 100 years", async () => {
    for (const expiresInSeconds of [0, -1, 1.5, 36_501 * 86_400]) {
      await expect(
        createApiToken(db(), {
          name: `bad-lifetime-${++counter}`,
          scopes: ["read"],
          expiresInSeconds,
        }),
      ).rejects.toThrow(/lifetime/);
    }
  });

  it("writes last_used_at at most once a minute", async () => {
    const { id, token } = await newToken(["read"]);
    const lastUsed = async () =>
      (
        await db()
          .selectFrom("api_tokens")
          .select("last_used_at")
          .where("id", "=", id)
          .executeTakeFirstOrThrow()
      ).last_used_at;
    expect(await lastUsed()).toBeNull();
    await verifyApiToken(db(), token);
    const first = await lastUsed();
    expect(first).toBeInstanceOf(Date);
    await verifyApiToken(db(), token);
    expect(await lastUsed()).toEqual(first);
  });

  it("refuses a taken name, an unknown scope and an empty scope list", async () => {
    const { name } = await newToken(["read"]);
    await expect(createApiToken(db(), { name, scopes: ["read"] })).rejects.toThrow(
      ApiTokenNameTakenError,
    );
    await expect(
      createApiToken(db(), { name: "other", scopes: ["superuser" as Scope] }),
    ).rejects.toThrow(/scope must be one of read, operate, admin/);
    await expect(createApiToken(db(), { name: "other", scopes: [] })).rejects.toThrow(
      /at least one scope/,
    );
  });

  it("is refused by the database when a scope is outside read/operate/admin", async () => {
    await expect(
      db()
        .insertInto("api_tokens")
        .values({ name: "raw", token_hash: "a".repeat(64), token_prefix: "sb_", scopes: ["root"] })
        .execute(),
    ).rejects.toThrow(/check constraint/);
  });
});

describe("authenticate", () => {
  it("answers 401 with WWW-Authenticate when there is no token", async () => {
    const body = await expectUnauthorized(await securedApp().request("/read"));
    expect(body.error.message).toMatch(/Authorization: Bearer/);
  });

  it("answers 401 to a malformed header, an unknown token and garbage", async () => {
    const app = securedApp();
    const { token } = await newToken(["read"]);
    await expectUnauthorized(await app.request("/read", { headers: { Authorization: token } }));
    await expectUnauthorized(
      await app.request("/read", { headers: { Authorization: `Basic ${token}` } }),
    );
    await expectUnauthorized(await app.request("/read", bearer(`${token.slice(0, -2)}zz`)));
    const garbage = await expectUnauthorized(await app.request("/read", bearer("hunter2")));
    expect(garbage.error.message).toBe("Invalid or revoked API token");
  });

  it("lets open paths through without a token", async () => {
    const app = securedApp();
    expect((await app.request("/healthz")).status).toBe(200);
    expect((await app.request("/docs/index.html")).status).toBe(200);
  });

  it("sets the principal for the route", async () => {
    const { name, token } = await newToken(["read"]);
    const response = await securedApp().request("/read", bearer(token));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ name });
  });

  it("answers 403 naming the missing scope", async () => {
    const { token } = await newToken(["read"]);
    const response = await securedApp().request("/operate", { method: "POST", ...bearer(token) });
    expect(response.status).toBe(403);
    const body = (await response.json()) as ErrorBody;
    expect(body.error.code).toBe("forbidden");
    expect(body.error.message).toContain('"operate" scope');
    expect(body.error.details).toEqual([{ path: "scope", message: 'missing scope "operate"' }]);
  });

  it("applies scope implication: admin does everything, operate reads", async () => {
    const app = securedApp();
    const admin = await newToken(["admin"]);
    const operate = await newToken(["operate"]);
    const status = async (method: string, path: string, token: string) =>
      (await app.request(path, { method, ...bearer(token) })).status;
    expect(await status("GET", "/read", admin.token)).toBe(200);
    expect(await status("POST", "/operate", admin.token)).toBe(200);
    expect(await status("DELETE", "/admin", admin.token)).toBe(200);
    expect(await status("GET", "/read", operate.token)).toBe(200);
    expect(await status("POST", "/operate", operate.token)).toBe(200);
    expect(await status("DELETE", "/admin", operate.token)).toBe(403);
  });

  it("refuses a revoked token once the cache entry expires", async () => {
    const app = securedApp(300);
    const { name, token } = await newToken(["read"]);
    expect((await app.request("/read", bearer(token))).status).toBe(200);
    await revokeApiToken(db(), name);
    // Still cached: revocation takes effect within the cache TTL, not at once.
    expect((await app.request("/read", bearer(token))).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 350));
    await expectUnauthorized(await app.request("/read", bearer(token)));
  });

  it("refuses a revoked token at once in every API process that listens for revocations", async () => {
    // Two processes' hubs, each on a pool of its own, and a cache that would otherwise last.
    const hubs = [new EventHub({ logger: silentLogger }), new EventHub({ logger: silentLogger })];
    const pools = hubs.map(() => createTestPool(2));
    try {
      await Promise.all(hubs.map((hub, i) => hub.start(pools[i] as Pool)));
      const apps = hubs.map((hub) => securedApp(60_000, hub));
      const unheard = securedApp(60_000);
      const { name, token } = await newToken(["read"]);
      for (const app of [...apps, unheard]) {
        expect((await app.request("/read", bearer(token))).status).toBe(200);
      }
      await db()
        .transaction()
        .execute((trx) => revokeApiToken(trx, name));
      for (const app of apps) {
        await vi.waitFor(
          async () => expect((await app.request("/read", bearer(token))).status).toBe(401),
          { timeout: 2_000, interval: 20 },
        );
      }
      // Without the hub, only the cache's expiry would end it.
      expect((await unheard.request("/read", bearer(token))).status).toBe(200);
    } finally {
      await Promise.all(hubs.map((hub) => hub.stop()));
    }
  });

  it("refuses a revoked token at once without a cache", async () => {
    const app = securedApp(0);
    const { name, token } = await newToken(["read"]);
    expect((await app.request("/read", bearer(token))).status).toBe(200);
    await revokeApiToken(db(), name);
    await expectUnauthorized(await app.request("/read", bearer(token)));
  });

  it("looks a token up once per cache TTL, even for concurrent requests", async () => {
    const { id, token } = await newToken(["read"]);
    const app = securedApp(60_000);
    const responses = await Promise.all(
      Array.from({ length: 20 }, () => app.request("/read", bearer(token))),
    );
    expect(responses.map((response) => response.status)).toEqual(Array(20).fill(200));
    // Deleting the row proves later requests are answered from memory.
    await db().deleteFrom("api_tokens").where("id", "=", id).execute();
    expect((await app.request("/read", bearer(token))).status).toBe(200);
  });
});

describe("authenticate with expiring tokens", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("answers 401 saying the token expired, not that it is unknown", async () => {
    const { id, token } = await newToken(["read"], 3_600);
    await expireAt(id, "now() - interval '1 minute'");
    const body = await expectUnauthorized(await securedApp().request("/read", bearer(token)));
    expect(body.error.message).toMatch(/^API token expired at \d{4}-\d\d-\d\dT/);
  });

  it("keeps a cached verification no longer than the token lives", async () => {
    const app = securedApp(60_000);
    const { id, token } = await newToken(["read"], 3_600);
    await expireAt(id, "now() + interval '300 milliseconds'");
    expect((await app.request("/read", bearer(token))).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 400));
    const body = await expectUnauthorized(await app.request("/read", bearer(token)));
    expect(body.error.message).toContain("expired");
  });

  it("decides expiry by the database's clock, whatever this process's clock says", async () => {
    const app = securedApp(0);
    const expired = await newToken(["read"], 3_600);
    await expireAt(expired.id, "now() - interval '10 minutes'");
    const live = await newToken(["read"], 3_600);
    await expireAt(live.id, "now() + interval '10 minutes'");

    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() - 3_600_000, shouldAdvanceTime: true });
    expect((await app.request("/read", bearer(expired.token))).status).toBe(401);
    vi.setSystemTime(Date.now() + 2 * 3_600_000);
    expect((await app.request("/read", bearer(live.token))).status).toBe(200);
  });
});

describe("authenticate over HTTP", () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await close?.();
    close = undefined;
  });

  it("serves 401 and 200 through @hono/node-server", async () => {
    const server = serve({ fetch: securedApp().fetch, hostname: "127.0.0.1", port: 0 });
    await new Promise((resolve) => server.once("listening", resolve));
    close = () => new Promise((resolve) => server.close(() => resolve()));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    const refused = await fetch(`${base}/read`);
    expect(refused.status).toBe(401);
    expect(refused.headers.get("www-authenticate")).toMatch(/^Bearer/);
    expect(refused.headers.get("content-type")).toMatch(/application\/json/);
    expect(((await refused.json()) as ErrorBody).error.code).toBe("unauthorized");

    const { name, token } = await newToken(["read"]);
    const allowed = await fetch(`${base}/read`, bearer(token));
    expect(allowed.status).toBe(200);
    expect(await allowed.json()).toEqual({ name });
  });
});
