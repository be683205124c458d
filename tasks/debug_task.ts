import { canaryPayload, runCanary } from "../src/diagnostics/canary.ts";
import { defineTask } from "../src/engine/task.ts";

/** Seed 003's debug task: a canary for smoke checks (see src/diagnostics/canary.ts). */
export default defineTask({
  name: "debug_task",
  lane: "realtime",
  payload: canaryPayload,
  run: (payload, ctx) => runCanary(payload, ctx),
});
