/**
 * The filters of execution lists and bulk actions. `status` takes the ledger's statuses and,
 * for clients of the Celery system, Celery's names (pending, started, success, failure, retry,
 * revoked). Unknown filters are refused, not ignored.
 */
import { z } from "@hono/zod-openapi";
import { refuseUnstorable } from "../../database/storableText.ts";
import { isoTimestamp } from "../../database/storableTimestamp.ts";
import {
  type ExecutionStatus,
  executionStatuses,
  isExecutionStatus,
} from "../../engine/executionStatus.ts";
import { laneNames } from "../../engine/lanes.ts";

export const celeryAliases: Record<string, ExecutionStatus[]> = {
  pending: ["queued", "scheduled"],
  started: ["running"],
  success: ["succeeded"],
  failure: ["dead"],
  retry: ["retrying"],
  revoked: ["cancelled", "expired"],
};

const statusesParam = z
  .string()
  .transform((value, ctx) => {
    const statuses = new Set<ExecutionStatus>();
    for (const raw of value
      .split(",")
      .map((part) => part.trim().toLowerCase())
      .filter(Boolean)) {
      if (isExecutionStatus(raw)) statuses.add(raw);
      else if (celeryAliases[raw]) for (const status of celeryAliases[raw]) statuses.add(status);
      else {
        ctx.addIssue({
          code: "custom",
          message: `unknown status "${raw}"; use ${[...executionStatuses, ...Object.keys(celeryAliases)].join(", ")}`,
        });
        return z.NEVER;
      }
    }
    return [...statuses];
  })
  .openapi({ example: "dead,failure", description: "comma-separated ledger or Celery statuses" });

const timestamp = (field: string) => isoTimestamp(field).transform((value) => new Date(value));

export const executionFilterFields = {
  status: statusesParam.optional(),
  task_name: z.string().min(1).max(200).superRefine(refuseUnstorable).optional(),
  lane: z.enum(laneNames).optional(),
  created_after: timestamp("created_after").optional(),
  created_before: timestamp("created_before").optional(),
  correlation_id: z.string().min(1).max(200).superRefine(refuseUnstorable).optional(),
  payload: z
    .string()
    .min(1)
    .max(500)
    .superRefine(refuseUnstorable)
    .optional()
    .openapi({
      example: "+15551234567",
      description:
        "a JSON object the payload contains, or else text found anywhere in the payload " +
        "(case-insensitive); scans newest first, so narrow it with created_after",
    }),
};

export const ExecutionFiltersSchema = z.object(executionFilterFields).strict();
