/**
 * Helpers for testing an application's own tasks against a real database, imported as
 * `switchboard/testing`: what was enqueued, one attempt run inline, and the outcome of a job a
 * real worker runs.
 */
export {
  type AssertEnqueuedOptions,
  assertEnqueued,
  assertNotEnqueued,
} from "./assertEnqueued.ts";
export { type EnqueuedFilter, enqueuedList } from "./enqueuedList.ts";
export { RUN_TASK_WORKER_ID, type RunTaskOptions, type RunTaskResult, runTask } from "./runTask.ts";
export type { StatusOption } from "./statuses.ts";
export type { TaskRef } from "./taskRef.ts";
export { type WaitForExecutionOptions, waitForExecution } from "./waitForExecution.ts";
