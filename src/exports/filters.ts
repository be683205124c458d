/**
 * What an export selects: seed 000's filters (`start_date`, `end_date`, `queue_ids`, `status`)
 * and `agent_ids`, `direction`, `campaign_id`. A call is in the export when its report time —
 * when it entered the call center: `coalesce(enqueued_at, created_at)` — is between
 * `start_date` and `end_date` (both included) and it matches every other filter given.
 *
 * Each field's error names the field. The normalised form (instants in UTC, id lists sorted and
 * without repeats, absent filters left out) is what the `exports` row stores and what the cache
 * key is computed from, so two requests for the same calls find the same export.
 */
import { createHash } from "node:crypto";
import { z } from "zod";
import { callStatusRank } from "../calls/callStatus.ts";
import type { CallTable, ExportFormat } from "../database/schema.ts";
import { isoTimestamp } from "../database/storableTimestamp.ts";

export const exportFormats = ["csv", "json"] as const satisfies readonly ExportFormat[];

/** The call directions, and `outbound` for both outbound kinds. */
export const exportDirections = ["inbound", "outbound", "outbound-api", "outbound-dial"] as const;
export type ExportDirection = (typeof exportDirections)[number];

/** Twilio's call statuses, the values `calls.status` holds. */
export const callStatuses = Object.keys(callStatusRank);

const MAX_IDS = 1_000;

const ids = (field: string, what: string) =>
  z
    .array(
      z
        .number({ error: `${field} must hold ${what} ids (positive integers)` })
        .int(`${field} must hold ${what} ids (positive integers)`)
        .min(1, `${field} must hold ${what} ids (positive integers)`)
        .max(Number.MAX_SAFE_INTEGER, `${field} must hold ${what} ids (positive integers)`),
      { error: `${field} must be a list of ${what} ids` },
    )
    .min(1, `${field} must not be empty; leave it out to export every ${what}`)
    .max(MAX_IDS, `${field} may hold at most ${MAX_IDS} ids`);

/** The filter fields, shared by the task payload and the HTTP body. */
export const exportFilterFields = {
  start_date: isoTimestamp("start_date"),
  end_date: isoTimestamp("end_date"),
  /** Call queue ids (`call_queues.id`). */
  queue_ids: ids("queue_ids", "call queue").optional(),
  status: z
    .array(
      z.enum(callStatuses as [string, ...string[]], {
        error: `status must hold call statuses: ${callStatuses.join(", ")}`,
      }),
      { error: "status must be a list of call statuses" },
    )
    .min(1, "status must not be empty; leave it out to export every status")
    .optional(),
  agent_ids: ids("agent_ids", "agent").optional(),
  direction: z
    .enum(exportDirections, { error: `direction must be one of ${exportDirections.join(", ")}` })
    .optional(),
  /** A campaign's public id (UUID, as the API shows it) or its numeric id. */
  campaign_id: z
    .union([z.uuid(), z.number().int().min(1).max(Number.MAX_SAFE_INTEGER)], {
      error: "campaign_id must be a campaign id: its UUID or a positive integer",
    })
    .optional(),
};

/** `end_date` must come after `start_date`; an unparsable one is left to its own check. */
export function endAfterStart(filters: { start_date: string; end_date: string }): boolean {
  const start = Date.parse(filters.start_date);
  const end = Date.parse(filters.end_date);
  return Number.isNaN(start) || Number.isNaN(end) || end > start;
}

export const endAfterStartIssue = {
  message: "end_date must be after start_date",
  path: ["end_date"],
};

export const exportFilters = z
  .strictObject(exportFilterFields)
  .refine(endAfterStart, endAfterStartIssue);
export type ExportFiltersInput = z.input<typeof exportFilters>;
export type ExportFilters = z.output<typeof exportFilters>;

/** Filters as stored and keyed: instants in UTC (milliseconds), sorted unique lists. */
export interface NormalisedExportFilters {
  start_date: string;
  end_date: string;
  queue_ids?: number[];
  status?: string[];
  agent_ids?: number[];
  direction?: ExportDirection;
  campaign_id?: string | number;
}

export function normaliseExportFilters(filters: ExportFilters): NormalisedExportFilters {
  const sortedUnique = <T extends string | number>(values: T[]) =>
    [...new Set(values)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const normalised: NormalisedExportFilters = {
    start_date: new Date(filters.start_date).toISOString(),
    end_date: new Date(filters.end_date).toISOString(),
  };
  if (filters.queue_ids) normalised.queue_ids = sortedUnique(filters.queue_ids);
  if (filters.status) normalised.status = sortedUnique(filters.status);
  if (filters.agent_ids) normalised.agent_ids = sortedUnique(filters.agent_ids);
  if (filters.direction) normalised.direction = filters.direction;
  if (filters.campaign_id !== undefined) {
    normalised.campaign_id =
      typeof filters.campaign_id === "string"
        ? filters.campaign_id.toLowerCase()
        : filters.campaign_id;
  }
  return normalised;
}

/**
 * The export's cache key: SHA-256 (hex) of the normalised filters and the format, so the same
 * request in any field order or spelling of its instants gives the same key.
 */
export function exportCacheKey(filters: NormalisedExportFilters, format: ExportFormat): string {
  const canonical = JSON.stringify([
    format,
    filters.start_date,
    filters.end_date,
    filters.queue_ids ?? null,
    filters.status ?? null,
    filters.agent_ids ?? null,
    filters.direction ?? null,
    filters.campaign_id ?? null,
  ]);
  return createHash("sha256").update(canonical).digest("hex");
}

/** The `calls.direction` values a direction filter selects. */
export function directionsOf(direction: ExportDirection): CallTable["direction"][] {
  return direction === "outbound" ? ["outbound-api", "outbound-dial"] : [direction];
}
