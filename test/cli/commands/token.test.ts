import { userInfo } from "node:os";
import { describe, expect, it } from "vitest";
import { verifyApiToken } from "../../../src/api/auth/tokens.ts";
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
      token: expect.stringMatching(/^sb_[A-Za-z0-9_-]{43}$/),
    });
    expect(created.stderr).toContain("cannot be shown again");
    expect(await verifyApiToken(db(), printed.token)).toEqual({
      outcome: "valid",
      principal: { tokenId: printed.id, name: "dashboard", scopes: ["read", "operate"] },
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
