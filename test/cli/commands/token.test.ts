import { userInfo } from "node:os";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { verifyApiToken } from "../../../src/api/auth/tokens.ts";
import type { ErrorBody } from "../../../src/api/errors.ts";
import { type ApiServer, listen } from "../../../src/api/server.ts";
import { testApp } from "../../support/app.ts";
import { runCli } from "../../support/cli.ts";
import { testDatabaseUrl, testDb } from "../../support/database.ts";

const env = () => ({ DATABASE_URL: testDatabaseUrl(), LOG_LEVEL: "silent" });
const db = () => testDb().db;
const parseLines = (stdout: string) =>
  stdout
    .trim()
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line));

describe("switchboard token", () => {
  it("creates a token, prints its secret once, and the secret verifies", async () => {
    const created = await runCli(
      ["token", "create", "--name", "dashboard", "--scope", "read,operate", "--scope", "read"],
      env(),
    );
    expect(created.code).toBe(0);
    const [printed] = parseLines(created.stdout);
    expect(printed).toEqual({
      id: expect.any(Number),
      name: "dashboard",
      scopes: ["read", "operate"],
      expiresAt: null,
      token: expect.stringMatching(/^sb_[A-Za-z0-9_-]{43}$/),
    });
    expect(created.stderr).toContain("cannot be shown again");
    expect(await verifyApiToken(db(), printed.token)).toEqual({
      outcome: "valid",
      principal: {
        key: `token:${printed.id}`,
        tokenId: printed.id,
        name: "dashboard",
        scopes: ["read", "operate"],
      },
      expiresInMs: null,
    });

    const listed = await runCli(["token", "list"], env());
    expect(listed.code).toBe(0);
    expect(listed.stdout).not.toContain(printed.token.slice(12));
    expect(parseLines(listed.stdout)).toContainEqual(
      expect.objectContaining({
        name: "dashboard",
        prefix: printed.token.slice(0, 11),
        scopes: ["read", "operate"],
        revokedAt: null,
        expiresAt: null,
      }),
    );

    const audit = await db()
      .selectFrom("audit_log")
      .selectAll()
      .where("action", "=", "token.create")
      .execute();
    expect(audit).toEqual([
      expect.objectContaining({
        actor: `cli:${userInfo().username}`,
        target_ids: [String(printed.id)],
      }),
    ]);
    expect(JSON.stringify(audit)).not.toContain(printed.token);
  });

  it("exits non-zero on a duplicate name, with a clear message", async () => {
    expect(
      (await runCli(["token", "create", "--name", "dup", "--scope", "read"], env())).code,
    ).toBe(0);
    const again = await runCli(["token", "create", "--name", "dup", "--scope", "admin"], env());
    expect(again.code).not.toBe(0);
    expect(again.stdout).toBe("");
    expect(again.stderr).toContain('an API token named "dup" already exists');
  });

  it("exits non-zero naming --scope for a bad or missing scope", async () => {
    const bad = await runCli(["token", "create", "--name", "x", "--scope", "superuser"], env());
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain("--scope");
    expect(bad.stderr).toContain('unknown scope "superuser"');
    const missing = await runCli(["token", "create", "--name", "x"], env());
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain("--scope");
    const badName = await runCli(["token", "create", "--name", "a b", "--scope", "read"], env());
    expect(badName.code).not.toBe(0);
    expect(badName.stderr).toContain("--name");
  });

  it("revokes a token by name, and exits non-zero for an unknown name", async () => {
    const created = await runCli(["token", "create", "--name", "old", "--scope", "read"], env());
    const [{ token }] = parseLines(created.stdout);
    const revoked = await runCli(["token", "revoke", "--name", "old"], env());
    expect(revoked.code).toBe(0);
    expect(parseLines(revoked.stdout)).toEqual([{ name: "old", outcome: "revoked" }]);
    expect(await verifyApiToken(db(), token)).toEqual({ outcome: "invalid" });

    const unknown = await runCli(["token", "revoke", "--name", "never"], env());
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('no API token named "never"');
  });
});

describe("switchboard token create --expires-in", () => {
  let api: ApiServer;
  beforeAll(async () => {
    api = await listen(testApp(), "127.0.0.1", 0);
  });
  afterAll(() => api.close());
  const get = (token: string) =>
    fetch(`http://127.0.0.1:${api.port}/api/tasks/health/queues/`, {
      headers: { authorization: `Bearer ${token}` },
    });

  it("stores the expiry, lists it, and the API accepts the token until then", async () => {
    const created = await runCli(
      ["token", "create", "--name", "month", "--scope", "read", "--expires-in", "30d"],
      env(),
    );
    expect(created.code, created.stderr).toBe(0);
    const [printed] = parseLines(created.stdout);
    const stored = await sql<{ lifetime: string; expires_at: Date }>`
      select (expires_at - created_at)::text as lifetime, expires_at from api_tokens
      where id = ${printed.id}`.execute(db());
    expect(stored.rows[0]?.lifetime).toBe("30 days");
    const expiresAt = stored.rows[0]?.expires_at.toISOString();
    expect(printed.expiresAt).toBe(expiresAt);

    const listed = await runCli(["token", "list"], env());
    expect(parseLines(listed.stdout)).toContainEqual(
      expect.objectContaining({ name: "month", expiresAt }),
    );
    expect((await get(printed.token)).status).toBe(200);
  });

  it("is refused with 401 saying it expired once the database's clock passes its expiry", async () => {
    const created = await runCli(
      ["token", "create", "--name", "brief", "--scope", "read", "--expires-in", "1s"],
      env(),
    );
    expect(created.code, created.stderr).toBe(0);
    const [{ id, token }] = parseLines(created.stdout);
    await vi.waitFor(
      async () => {
        const { rows } = await sql<{ expired: boolean }>`
          select expires_at <= now() as expired from api_tokens where id = ${id}`.execute(db());
        expect(rows[0]?.expired).toBe(true);
      },
      { timeout: 5_000, interval: 100 },
    );
    const refused = await get(token);
    expect(refused.status).toBe(401);
    const body = (await refused.json()) as ErrorBody;
    expect(body.error.message).toMatch(/^API token expired at /);
  });

  it("exits non-zero naming --expires-in for a bad duration, creating nothing", async () => {
    for (const value of ["30", "30w", "0d", "-1d", "1.5h", "d", "36501d", ""]) {
      const bad = await runCli(
        ["token", "create", "--name", "never-made", "--scope", "read", "--expires-in", value],
        env(),
      );
      expect(bad.code, value).not.toBe(0);
      expect(bad.stderr, value).toContain("--expires-in");
    }
    const made = await db()
      .selectFrom("api_tokens")
      .select("id")
      .where("name", "=", "never-made")
      .execute();
    expect(made).toEqual([]);
  });
});
