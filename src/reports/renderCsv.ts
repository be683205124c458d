/**
 * A report as CSV (RFC 4180, header row, UTF-8, CRLF): one line per figure, in long form —
 * `section, period, period_start, call_queue_id, call_queue, agent_id, agent, campaign_id,
 * campaign, metric, value` — so every section fits one header and the file loads as is into a
 * spreadsheet's pivot table or a database table. Cells that do not apply are empty, as is a
 * figure with no value (a rate over nothing). Text cells are escaped against formula injection.
 */
import { stringify } from "csv-stringify/sync";
import { csvCell } from "../shared/csvCell.ts";
import type { ReportContent } from "./reportContent.ts";
import { reportSections } from "./reportSections.ts";

export const reportCsvColumns = [
  "section",
  "period",
  "period_start",
  "call_queue_id",
  "call_queue",
  "agent_id",
  "agent",
  "campaign_id",
  "campaign",
  "metric",
  "value",
] as const;

export function renderReportCsv(content: ReportContent): string {
  const records: (string | number | null)[][] = [];
  for (const section of reportSections(content)) {
    for (const row of section.rows) {
      const k = row.keys;
      const keyCells = [
        k.period ?? null,
        k.periodStart ?? null,
        k.callQueueId ?? null,
        k.callQueue ?? null,
        k.agentId ?? null,
        k.agent ?? null,
        k.campaignId ?? null,
        k.campaign ?? null,
      ];
      for (const metric of Object.keys(section.figures)) {
        records.push([section.name, ...keyCells, metric, row.values[metric] ?? null]);
      }
    }
  }
  return stringify(
    records.map((record) => record.map((cell) => (cell === null ? "" : csvCell(cell)))),
    { header: true, columns: [...reportCsvColumns], record_delimiter: "windows" },
  );
}
