/**
 * A report's cache key: the first 32 hex digits of the SHA-256 of its normalised parameters as
 * canonical JSON (keys sorted at every depth, no spaces), so equal parameters give equal keys
 * whatever order they were written in.
 *
 * @example
 * reportCacheKey({ report_type: "daily", date_str: "2026-03-08", time_zone: "UTC" })
 */
import { createHash } from "node:crypto";
import type { ReportParameters } from "./reportParameters.ts";

export const CACHE_KEY_PATTERN = /^[0-9a-f]{32}$/;

export function reportCacheKey(parameters: ReportParameters): string {
  return createHash("sha256").update(canonicalJson(parameters)).digest("hex").slice(0, 32);
}

export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value)
      .filter(([, entry]) => entry !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, entry]) => `${JSON.stringify(key)}:${canonicalJson(entry)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}
