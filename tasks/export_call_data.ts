import { z } from "zod";
import { defineCallCenterTask } from "../src/callCenter/task.ts";
import { exportCallData } from "../src/exports/exportCallData.ts";
import { exportFilters, exportFormats } from "../src/exports/filters.ts";

export const exportCallDataPayload = z.strictObject({
  filters: exportFilters,
  format: z.enum(exportFormats, { error: `format must be one of ${exportFormats.join(", ")}` }),
  user_id: z.union([z.number().int().min(1), z.string().trim().min(1).max(200)], {
    error: "user_id must be a user id (a positive integer) or a name",
  }),
});

/**
 * Seed 000's `export_call_data(filters, format, user_id)`: writes the calls of `filters` as a
 * CSV or JSON file into the generated-files store and records it in `exports`
 * (src/exports/exportCallData.ts). The same filters and format share one export (its cache key).
 */
export default defineCallCenterTask({
  name: "export_call_data",
  lane: "exports",
  positionalArgs: ["filters", "format", "user_id"],
  payload: exportCallDataPayload,
  softTimeLimitMs: 60 * 60_000,
  hardTimeLimitMs: 65 * 60_000,
  run: (payload, ctx) =>
    exportCallData(ctx, {
      filters: payload.filters,
      format: payload.format,
      requestedBy: String(payload.user_id),
    }),
});
