import { writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { checkDotEnv } from "../../../src/cli/dotEnv.ts";
import { runCli } from "../../support/cli.ts";
import { createBlankDatabase } from "../../support/database.ts";
import { tempFolder } from "../../support/tempFolder.ts";

async function folderWithDotEnv(text: string): Promise<string> {
  const folder = await tempFolder("switchboard-dotenv-");
  await writeFile(path.join(folder, ".env"), text);
  return folder;
}

const unreachable = "postgres://nobody@127.0.0.1:1/none";

describe(".env in the current directory", () => {
  it("sets what the environment does not", async () => {
    const cwd = await folderWithDotEnv(`# a comment\n\nexport DATABASE_URL=${unreachable}\n`);
    const result = await runCli(["migrate"], { LOG_LEVEL: "silent" }, { cwd });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/ECONNREFUSED|connect/);
  });

  it("loses to a real environment variable; quoted values may span lines", async () => {
    const cwd = await folderWithDotEnv(
      `DATABASE_URL=${unreachable}\nNOTE="first line\nsecond line"\nLOG_LEVEL=silent\n`,
    );
    const result = await runCli(
      ["migrate"],
      { DATABASE_URL: await createBlankDatabase() },
      { cwd },
    );
    expect(result.code, result.stderr).toBe(0);
  });

  it("a bad value read from it is named like the environment's", async () => {
    const cwd = await folderWithDotEnv("PORT=abc\n");
    const result = await runCli(["start"], { DATABASE_URL: unreachable }, { cwd });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("PORT: expected a number");
  });

  it("stops every command at a malformed line, naming it", async () => {
    const cwd = await folderWithDotEnv("LOG_LEVEL=silent\nthis is not a setting\n");
    const result = await runCli(["migrate"], { DATABASE_URL: unreachable }, { cwd });
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toBe(
      "switchboard: .env line 2: expected NAME=value or a # comment",
    );
  });

  it("names the line of a quote never closed", () => {
    expect(() => checkDotEnv("A=1\nB='open\nC=2\n")).toThrow(
      ".env line 2: the value's ' is never closed",
    );
    expect(() => checkDotEnv('A = "x" # note\r\nB=`y`\n  # indented comment\n')).not.toThrow();
  });
});
