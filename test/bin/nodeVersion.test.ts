import { execFileSync, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { unsupportedNodeMessage } from "../../bin/nodeVersion.js";
import { binPath } from "../support/cli.ts";

/** The machine's own Node.js, when it is one too old for Switchboard. */
function olderSystemNode(): { path: string; version: string } | null {
  const path = "/usr/bin/node";
  if (!existsSync(path)) return null;
  const version = execFileSync(path, ["-p", "process.versions.node"], { encoding: "utf8" }).trim();
  return unsupportedNodeMessage(version) ? { path, version } : null;
}

describe("the Node.js version check", () => {
  it("names the version needed and the one running", () => {
    expect(unsupportedNodeMessage("20.20.2")).toBe(
      "switchboard needs Node.js 22.18 or newer (this is v20.20.2)",
    );
    expect(unsupportedNodeMessage("22.17.1")).toMatch(/needs Node\.js 22\.18 or newer/);
    expect(unsupportedNodeMessage("18.0.0")).not.toBeNull();
  });

  it("lets 22.18 and newer through", () => {
    for (const version of ["22.18.0", "22.23.3", "23.0.0", "24.21.0", "26.1.0"]) {
      expect(unsupportedNodeMessage(version)).toBeNull();
    }
    expect(unsupportedNodeMessage(process.versions.node)).toBeNull();
  });

  const old = olderSystemNode();
  it.skipIf(!old)(
    `stops bin/switchboard.js on an older Node.js with one line and exit code 1 (${old?.path ?? "no older system Node.js here"})`,
    () => {
      if (!old) return;
      const run = spawnSync(old.path, [binPath, "--help"], { encoding: "utf8" });
      expect(run.status).toBe(1);
      expect(run.stdout).toBe("");
      expect(run.stderr).toBe(
        `switchboard needs Node.js 22.18 or newer (this is v${old.version})\n`,
      );
    },
  );
});
