import { OpenAPIHono } from "@hono/zod-openapi";
import { requestId } from "hono/request-id";
import { beforeEach, describe, expect, it } from "vitest";
import type { Scope } from "../../../src/api/auth/principal.ts";
import { createApiToken } from "../../../src/api/auth/tokens.ts";
import type { AppEnv } from "../../../src/api/context.ts";
import { type ErrorBody, toErrorResponse } from "../../../src/api/errors.ts";
import { authenticate } from "../../../src/api/middleware/authenticate.ts";
import { auditRoutes } from "../../../src/api/routes/audit.ts";
import { recordAudit } from "../../../src/control/audit.ts";
import { encodeCursor } from "../../../src/database/keysetCursor.ts";
import { testDb, withRollback } from "../../support/database.ts";

const db = () => testDb().db;
let counter = 0;

interface AuditPage {
  items: {
    id: number;
    at: string;
    actor: string;
    action: string;
    target_ids: string[];
    details: Record<string, unknown>;
    outcome: string;
    request_id: string | null;
  }[];
  next_cursor: string | null;
}

async function newToken(scopes: Scope[]) {
  return (await createApiToken(db(), { name: `audit-test-${++counter}`, scopes })).token;
}

function auditApp() {
  // Not strict, as in createApp: /api/audit and /api/audit/ are one route.
  const app = new OpenAPIHono<AppEnv>({ strict: false });
  app.use(requestId());
  app.use(authenticate({ db: db() }));
  app.route("/", auditRoutes(db()));
  app.onError(toErrorResponse);
  return app;
}

async function list(query: string, token: string) {
  return auditApp().request(`/api/audit${query}`, {
    headers: { Authorization: `Bearer ${token}` },
  });
}

async function page(query: string, token: string): Promise<AuditPage> {
  const response = await list(query, token);
  expect(response.status).toBe(200);
  return (await response.json()) as AuditPage;
}

beforeEach(async () => {
  await db().deleteFrom("audit_log").execute();
});

describe("recordAudit", () => {
  it("writes one row with every field", async () => {
    const id = await recordAudit(db(), {
      actor: "ops",
      action: "execution.cancel",
      targetIds: ["a", "b"],
      details: { reason: "stuck" },
      outcome: "cancelled",
      requestId: "req-1",
    });
    const row = await db()
      .selectFrom("audit_log")
      .selectAll()
      .where("id", "=", id)
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({
      actor: "ops",
      action: "execution.cancel",
      target_ids: ["a", "b"],
      details: { reason: "stuck" },
      outcome: "cancelled",
      request_id: "req-1",
    });
    expect(row.at).toBeInstanceOf(Date);
  });

  it("leaves nothing behind when its transaction rolls back", async () => {
    await withRollback(async (trx) => {
      await recordAudit(trx, { actor: "ops", action: "lane.pause", outcome: "paused" });
      const inside = await trx.selectFrom("audit_log").select("id").execute();
      expect(inside).toHaveLength(1);
    });
    expect(await db().selectFrom("audit_log").select("id").execute()).toEqual([]);
  });
});

describe("GET /api/audit", () => {
  it("lists newest first, page by page, rows written in one transaction included", async () => {
    // One transaction: every row gets the same `at`, so only `id` orders them.
    await db()
      .transaction()
      .execute(async (trx) => {
        for (let i = 1; i <= 3; i++) {
          await recordAudit(trx, { actor: "ops", action: "execution.retry", outcome: `${i}` });
        }
      });
    for (let i = 4; i <= 5; i++) {
      await recordAudit(db(), { actor: "ops", action: "execution.retry", outcome: `${i}` });
    }
    const token = await newToken(["admin"]);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = cursor ? `?limit=2&cursor=${cursor}` : "?limit=2";
      const body = await page(query, token);
      seen.push(...body.items.map((item) => item.outcome));
      cursor = body.next_cursor;
      pages++;
    } while (cursor);
    expect(seen).toEqual(["5", "4", "3", "2", "1"]);
    expect(pages).toBe(3);
  });

  it("serves every field and defaults to 50 a page", async () => {
    await recordAudit(db(), {
      actor: "ops",
      action: "task.execute",
      targetIds: ["x"],
      details: { task_name: "send_sms" },
      outcome: "enqueued",
      requestId: "req-9",
    });
    const body = await page("", await newToken(["admin"]));
    expect(body.next_cursor).toBeNull();
    expect(body.items).toEqual([
      {
        id: expect.any(Number),
        at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        actor: "ops",
        action: "task.execute",
        target_ids: ["x"],
        details: { task_name: "send_sms" },
        outcome: "enqueued",
        request_id: "req-9",
      },
    ]);
  });

  it("filters by action and actor", async () => {
    await recordAudit(db(), { actor: "ops", action: "lane.pause", outcome: "paused" });
    await recordAudit(db(), { actor: "ops", action: "lane.resume", outcome: "resumed" });
    await recordAudit(db(), { actor: "cli", action: "lane.pause", outcome: "paused" });
    const token = await newToken(["admin"]);
    const pick = (body: AuditPage) => body.items.map((item) => `${item.actor}:${item.action}`);
    expect(pick(await page("?action=lane.pause", token))).toEqual([
      "cli:lane.pause",
      "ops:lane.pause",
    ]);
    expect(pick(await page("?actor=ops", token))).toEqual(["ops:lane.resume", "ops:lane.pause"]);
    expect(pick(await page("?actor=ops&action=lane.pause", token))).toEqual(["ops:lane.pause"]);
  });

  it("needs the admin scope", async () => {
    for (const scopes of [["read"], ["operate"]] as Scope[][]) {
      const response = await list("", await newToken(scopes));
      expect(response.status).toBe(403);
      const body = (await response.json()) as ErrorBody;
      expect(body.error.code).toBe("forbidden");
      expect(body.error.message).toContain('"admin"');
    }
    const anonymous = await auditApp().request("/api/audit/");
    expect(anonymous.status).toBe(401);
    const slash = await auditApp().request("/api/audit/", {
      headers: { Authorization: `Bearer ${await newToken(["admin"])}` },
    });
    expect(slash.status).toBe(200);
  });

  it("answers 400 naming cursor for a malformed cursor", async () => {
    const token = await newToken(["admin"]);
    const malformed = [
      "not-base64!",
      "abc",
      Buffer.from("[1,2]").toString("base64url"),
      Buffer.from('["2024-01-01T00:00:00Z", 1]').toString("base64url"),
      encodeCursor({ at: "2024-01-01T00:00:00.000000Z", id: -1 }),
    ];
    for (const cursor of malformed) {
      const response = await list(`?cursor=${encodeURIComponent(cursor)}`, token);
      expect(response.status).toBe(400);
      const body = (await response.json()) as ErrorBody;
      expect(body.error.code).toBe("validation_failed");
      expect(body.error.details.map((detail) => detail.path)).toEqual(["cursor"]);
      expect(JSON.stringify(body)).not.toMatch(/at .*\.ts:/);
    }
  });

  it("answers 400 naming limit for a bad limit", async () => {
    const token = await newToken(["admin"]);
    for (const limit of ["0", "abc", "501", "1.5", "-3"]) {
      const response = await list(`?limit=${limit}`, token);
      expect(response.status).toBe(400);
      const body = (await response.json()) as ErrorBody;
      expect(body.error.message).toBe("Invalid query: limit");
      expect(body.error.details[0]?.path).toBe("limit");
    }
  });

  it("appears in the OpenAPI document", () => {
    const doc = auditApp().getOpenAPIDocument({
      openapi: "3.0.0",
      info: { title: "test", version: "1" },
    });
    const operation = doc.paths?.["/api/audit"]?.get;
    expect(operation?.summary).toMatch(/audit/i);
    const names = (operation?.parameters ?? []).map((parameter) =>
      "name" in parameter ? parameter.name : undefined,
    );
    expect(names).toEqual(expect.arrayContaining(["limit", "cursor", "action", "actor"]));
  });
});
