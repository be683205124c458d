import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { environmentVariables } from "../src/config.ts";

const read = (file: string) => readFileSync(new URL(`../${file}`, import.meta.url), "utf8");

/** The names in the first column of the README's configuration table. */
function readmeTableVariables(): Set<string> {
  const readme = read("README.md");
  const section = readme.slice(readme.indexOf("\n## Configuration\n"));
  const end = section.indexOf("\n## ", 1);
  const names = new Set<string>();
  for (const line of (end > 0 ? section.slice(0, end) : section).split("\n")) {
    if (!line.startsWith("|")) continue;
    const firstCell = line.split("|")[1] ?? "";
    for (const [, name] of firstCell.matchAll(/`([A-Z][A-Z0-9_]*)`/g)) names.add(name as string);
  }
  return names;
}

/** The names `.env.example` sets, or shows commented out (`# NAME=`). */
function envExampleVariables(): Set<string> {
  const names = new Set<string>();
  for (const [, name] of read(".env.example").matchAll(/^(?:#\s*)?([A-Z][A-Z0-9_]*)=/gm)) {
    names.add(name as string);
  }
  return names;
}

describe("configuration documentation", () => {
  it("reads a plausible list of variables from config.ts", () => {
    expect(environmentVariables).toContain("DATABASE_URL");
    expect(environmentVariables).toContain("WORKER_SILENT_AFTER_MS");
    expect(environmentVariables.length).toBeGreaterThan(40);
  });

  it("the README's configuration table lists every variable config.ts reads", () => {
    const documented = readmeTableVariables();
    expect(environmentVariables.filter((name) => !documented.has(name))).toEqual([]);
  });

  it(".env.example lists every variable config.ts reads", () => {
    const listed = envExampleVariables();
    expect(environmentVariables.filter((name) => !listed.has(name))).toEqual([]);
  });

  it("neither documents a variable config.ts does not read", () => {
    const known = new Set<string>(environmentVariables);
    expect([...readmeTableVariables()].filter((name) => !known.has(name))).toEqual([]);
    expect([...envExampleVariables()].filter((name) => !known.has(name))).toEqual([]);
  });
});
