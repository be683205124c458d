/** The `status` option of the testing helpers: one status or several, checked by name. */
import {
  type ExecutionStatus,
  executionStatuses,
  isExecutionStatus,
} from "../engine/executionStatus.ts";

export type StatusOption = ExecutionStatus | readonly ExecutionStatus[];

/** The statuses asked for, as a list; an unknown status is an Error naming it. */
export function statusesOf(option: StatusOption, field = "status"): ExecutionStatus[] {
  const statuses = typeof option === "string" ? [option] : [...option];
  if (statuses.length === 0) throw new Error(`${field}: give at least one status`);
  for (const status of statuses) {
    if (!isExecutionStatus(status)) {
      throw new Error(
        `${field}: unknown status "${status}" (one of ${executionStatuses.join(", ")})`,
      );
    }
  }
  return statuses;
}
