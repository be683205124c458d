import { describe, expect, it } from "vitest";
import { userSignIn } from "../../../src/dashboard/users.ts";
import { runCli } from "../../support/cli.ts";
import { testDatabaseUrl, testDb } from "../../support/database.ts";

const env = () => ({ DATABASE_URL: testDatabaseUrl(), LOG_LEVEL: "silent" });
const db = () => testDb().db;
const password = "a long enough password";

describe("switchboard user", () => {
  it("creates a user from --password-stdin who can sign in, lists and disables them, audited", async () => {
    const created = await runCli(
      ["user", "create", "--name", "alice", "--scope", "operate", "--password-stdin"],
      env(),
      { input: `${password}\n` },
    );
    expect(created.stderr).toBe("");
    expect(created.code).toBe(0);
    expect(JSON.parse(created.stdout)).toEqual({
      id: expect.any(Number),
      username: "alice",
      scopes: ["operate"],
    });
    expect(await userSignIn(db(), "alice", password)).toMatchObject({
      name: "user:alice",
      scopes: ["operate"],
    });
    expect(await userSignIn(db(), "alice", `${password}!`)).toBeNull();

    const listed = await runCli(["user", "list"], env());
    expect(listed.stdout).toContain('"username":"alice"');
    expect(listed.stdout).not.toContain("scrypt");

    const again = await runCli(
      ["user", "create", "--name", "alice", "--scope", "read", "--password-stdin"],
      env(),
      { input: password },
    );
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('a dashboard user named "alice" already exists');

    const disabled = await runCli(["user", "disable", "--name", "alice"], env());
    expect(disabled.code).toBe(0);
    expect(await userSignIn(db(), "alice", password)).toBeNull();
    const actions = await db()
      .selectFrom("audit_log")
      .select("action")
      .where("action", "like", "user.%")
      .orderBy("id")
      .execute();
    expect(actions.map((row) => row.action)).toEqual(["user.create", "user.disable"]);
  });

  it("refuses a short password, a bad name, an unknown scope and a missing terminal, naming each", async () => {
    const short = await runCli(
      ["user", "create", "--name", "bob", "--scope", "read", "--password-stdin"],
      env(),
      { input: "short" },
    );
    expect(short.code).toBe(1);
    expect(short.stderr).toContain("password: at least 12 characters");
    const badName = await runCli(["user", "create", "--name", "-x y", "--scope", "read"], env());
    expect(badName.code).not.toBe(0);
    expect(badName.stderr).toContain("username");
    const badScope = await runCli(["user", "create", "--name", "bob", "--scope", "root"], env());
    expect(badScope.code).not.toBe(0);
    expect(badScope.stderr).toContain('unknown scope "root"');
    const noTerminal = await runCli(["user", "create", "--name", "bob", "--scope", "read"], env(), {
      input: "",
    });
    expect(noTerminal.code).toBe(1);
    expect(noTerminal.stderr).toContain("--password-stdin");
    const unknown = await runCli(["user", "disable", "--name", "nobody"], env());
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('no dashboard user named "nobody"');
    expect(
      await db().selectFrom("dashboard_users").select("id").where("username", "=", "bob").execute(),
    ).toEqual([]);
  });
});
