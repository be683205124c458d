/**
 * The filters every list of executions takes: the API's lists and bulk actions, the CLI, the
 * testing helpers.
 */
import { type SelectQueryBuilder, sql } from "kysely";
import type { Database } from "../database/schema.ts";
import type { ExecutionStatus } from "../engine/executionStatus.ts";
import { payloadWithSecrets } from "../engine/jobSpec.ts";
import type { LaneName } from "../engine/lanes.ts";

export interface ExecutionFilters {
  /** Any of these; none or empty means every status. */
  status?: ExecutionStatus[];
  task_name?: string;
  lane?: LaneName;
  created_after?: Date;
  /** Exclusive. */
  created_before?: Date;
  /**
   * Fields the payload must contain (jsonb `@>`: nested objects match by subset, arrays by
   * inclusion), compared with secret fields' real values, not the "[redacted]" the ledger shows.
   * A string is a search: one that parses as a JSON object is those fields; any other is text
   * found anywhere in the payload as the ledger shows it (case-insensitive). Text cannot use an
   * index: a list walks the ledger newest first until its page is full, so a rare term reads
   * as far back as the time range lets it.
   */
  payload?: unknown;
  priority?: number;
  correlation_id?: string;
}

export function applyExecutionFilters<O>(
  query: SelectQueryBuilder<Database, "executions", O>,
  filters: ExecutionFilters,
): SelectQueryBuilder<Database, "executions", O> {
  let q = query;
  if (filters.status?.length) q = q.where("status", "in", filters.status);
  if (filters.task_name) q = q.where("task_name", "=", filters.task_name);
  if (filters.lane) q = q.where("lane", "=", filters.lane);
  if (filters.created_after) q = q.where("created_at", ">=", filters.created_after);
  if (filters.created_before) q = q.where("created_at", "<", filters.created_before);
  if (typeof filters.payload === "string") {
    const fields = jsonObjectOf(filters.payload);
    q = fields
      ? q.where(sql<boolean>`${payloadWithSecrets()} @> ${JSON.stringify(fields)}::jsonb`)
      : q.where(sql<boolean>`payload::text ilike ${`%${escapeLike(filters.payload)}%`}`);
  } else if (filters.payload !== undefined) {
    q = q.where(sql<boolean>`${payloadWithSecrets()} @> ${JSON.stringify(filters.payload)}::jsonb`);
  }
  if (filters.priority !== undefined) q = q.where("priority", "=", filters.priority);
  if (filters.correlation_id) q = q.where("correlation_id", "=", filters.correlation_id);
  return q;
}

function jsonObjectOf(text: string): Record<string, unknown> | undefined {
  if (!text.trimStart().startsWith("{")) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === "object" && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (char) => `\\${char}`);
}
