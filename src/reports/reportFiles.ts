/**
 * Where a report's renderings are kept: the generated-files store (encrypted, local or S3),
 * under `reports/<yyyy>/<mm>/<cache_key>.<json|csv|html>`, dated by the local start of the
 * report's period. A refresh writes the same keys. The three are written all or none.
 */
import { Readable } from "node:stream";
import { localDateOf } from "../analytics/period.ts";
import type { RecordingStore } from "../storage/recordingStore.ts";
import type { ReportParameters } from "./reportParameters.ts";

export const reportFormats = ["json", "csv", "html"] as const;
export type ReportFormat = (typeof reportFormats)[number];

export type ReportRenderings = Record<ReportFormat, string>;
export type ReportFileKeys = Record<ReportFormat, string>;

export const reportContentTypes: Record<ReportFormat, string> = {
  json: "application/json; charset=utf-8",
  csv: "text/csv; charset=utf-8; header=present",
  html: "text/html; charset=utf-8",
};

/** The local `YYYY-MM-DD` the report's period starts on. */
function periodStartDate(parameters: ReportParameters): string {
  switch (parameters.report_type) {
    case "daily":
      return parameters.date_str;
    case "weekly":
      return parameters.week_start_str;
    case "monthly":
      return `${parameters.year}-${String(parameters.month).padStart(2, "0")}-01`;
    case "agent":
      return localDateOf(new Date(parameters.date_range.start), parameters.time_zone);
  }
}

/** The API path a report's file downloads from (`GET /api/tasks/reports/download/`). */
export const reportDownloadPath = (cacheKey: string, format?: ReportFormat) =>
  `/api/tasks/reports/download/?cache_key=${cacheKey}${format ? `&format=${format}` : ""}`;

export function reportFileKeys(parameters: ReportParameters, cacheKey: string): ReportFileKeys {
  const [year, month] = periodStartDate(parameters).split("-");
  const key = (format: ReportFormat) => `reports/${year}/${month}/${cacheKey}.${format}`;
  return { json: key("json"), csv: key("csv"), html: key("html") };
}

/**
 * Stores the renderings under `keys`. If one cannot be stored, those already stored are removed
 * and the error is rethrown: no report is left with some of its files.
 */
export async function reportFilesPut(
  files: RecordingStore,
  keys: ReportFileKeys,
  renderings: ReportRenderings,
): Promise<void> {
  try {
    for (const format of reportFormats) {
      await files.put(keys[format], Readable.from([Buffer.from(renderings[format], "utf8")]));
    }
  } catch (error) {
    await reportFilesDelete(files, keys);
    throw error;
  }
}

/** Removes the renderings at `keys`; ones that are missing or cannot be removed are skipped. */
export async function reportFilesDelete(
  files: RecordingStore,
  keys: ReportFileKeys,
): Promise<void> {
  await Promise.allSettled(reportFormats.map((format) => files.delete(keys[format])));
}

/** A file name for a download: `daily-report-2026-03-08.csv`. */
export function reportFileName(parameters: ReportParameters, format: ReportFormat): string {
  const label = (() => {
    switch (parameters.report_type) {
      case "daily":
        return parameters.date_str;
      case "weekly":
        return parameters.week_start_str;
      case "monthly":
        return `${parameters.year}-${String(parameters.month).padStart(2, "0")}`;
      case "agent":
        return `${parameters.agent_id}-${periodStartDate(parameters)}`;
    }
  })();
  return `${parameters.report_type}-report-${label}.${format}`;
}
