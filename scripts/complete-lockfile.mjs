#!/usr/bin/env node
/**
 * Adds lock file entries for platform-specific optional packages that npm left out.
 *
 * npm records an optional dependency such as `@esbuild/darwin-arm64` only when the registry it
 * resolves against serves that package. Against a registry that carries only this machine's
 * platform, those entries are missing and `npm ci` refuses the lock file ("Missing: … from lock
 * file"). Each missing entry is added with the version its parent pins and the os/cpu/libc read
 * from its name, so `npm ci` sees a complete tree and skips the package on other platforms.
 *
 * Run after `npm install` changes package-lock.json: `node scripts/complete-lockfile.mjs`.
 */
import { readFileSync, writeFileSync } from "node:fs";

const file = new URL("../package-lock.json", import.meta.url);
const lock = JSON.parse(readFileSync(file, "utf8"));
const packages = lock.packages;

const osNames = [
  "aix",
  "android",
  "darwin",
  "freebsd",
  "linux",
  "netbsd",
  "openbsd",
  "openharmony",
  "sunos",
  "win32",
  "wasi",
];
const cpuNames = [
  "arm64",
  "arm",
  "ia32",
  "loong64",
  "mips64el",
  "ppc64",
  "riscv64",
  "s390x",
  "x64",
  "wasm32",
];

function platformOf(name) {
  const tokens = name.split("/").pop().split(/[-_]/);
  const os = tokens.find((token) => osNames.includes(token));
  const cpu = tokens.find((token) => cpuNames.includes(token));
  if (!os && !cpu) return undefined;
  const entry = {};
  if (cpu) entry.cpu = [cpu];
  if (os) entry.os = [os === "wasi" ? "wasi" : os];
  if (tokens.includes("musl")) entry.libc = ["musl"];
  else if (tokens.includes("gnu") || tokens.includes("glibc")) entry.libc = ["glibc"];
  return entry;
}

let added = 0;
for (const [location, meta] of Object.entries(packages)) {
  for (const [name, spec] of Object.entries(meta.optionalDependencies ?? {})) {
    const nested = `${location ? `${location}/` : ""}node_modules/${name}`;
    const hoisted = `node_modules/${name}`;
    if (packages[nested] || packages[hoisted]?.version === spec) continue;
    const platform = platformOf(name);
    if (!platform || !/^\d+\.\d+\.\d+(-[\w.]+)?$/.test(spec)) continue;
    packages[packages[hoisted] ? nested : hoisted] = {
      version: spec,
      ...(meta.dev ? { dev: true } : {}),
      optional: true,
      ...platform,
    };
    added++;
  }
}

lock.packages = Object.fromEntries(
  Object.entries(packages).sort(([a], [b]) => (a === "" ? -1 : b === "" ? 1 : a.localeCompare(b))),
);
writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`complete-lockfile: added ${added} platform entries`);
