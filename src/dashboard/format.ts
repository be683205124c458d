/**
 * How the dashboard writes values: one place for status badges, times and durations, so every
 * page shows them alike. Times are shown in UTC (ISO 8601, to the second) inside `<time>`.
 */
import { html } from "hono/html";

/** A status as a coloured badge; `data-field="status"` lets live updates find it. */
export function statusBadge(status: string) {
  return html`<span class="status status-${status.replaceAll("_", "-")}" data-field="status">${status}</span>`;
}

/** `2026-12-06 17:04:05Z` in a `<time>` element; an em dash for null. */
export function timeCell(value: string | Date | null | undefined) {
  if (value === null || value === undefined) return html`<span class="muted">—</span>`;
  const date = typeof value === "string" ? new Date(value) : value;
  if (Number.isNaN(date.getTime())) return html`${String(value)}`;
  const iso = date.toISOString();
  return html`<time datetime="${iso}">${iso.slice(0, 19).replace("T", " ")}Z</time>`;
}

/** `850 ms`, `12.4 s`, `3 min 20 s`, `2 h 5 min`, `3 d 4 h`; an em dash for null. */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return "—";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const seconds = ms / 1000;
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${Math.round(seconds % 60)} s`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ${minutes % 60} min`;
  return `${Math.floor(hours / 24)} d ${hours % 24} h`;
}

/** Whole numbers with thousands separators: `1,234,567`. */
export function formatCount(value: number | null | undefined): string {
  return value === null || value === undefined ? "—" : Math.round(value).toLocaleString("en-US");
}
