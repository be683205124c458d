/**
 * How a simulated call ends, chosen by the last four digits of the number called:
 *
 * | `To` ends in | outcome     | statuses after `queued`                    |
 * |--------------|-------------|--------------------------------------------|
 * | `0001`       | `busy`      | initiated → ringing → busy                 |
 * | `0002`       | `no-answer` | initiated → ringing → (ringMs) no-answer   |
 * | `0003`       | `failed`    | initiated → failed                         |
 * | anything else| `completed` | initiated → ringing → in-progress → (talkMs) completed |
 */
import type { SimulatorTiming } from "./options.ts";
import type { CallStatus } from "./state.ts";

export type CallOutcome = "completed" | "busy" | "no-answer" | "failed";

export const outcomeBySuffix: Readonly<Record<string, CallOutcome>> = {
  "0001": "busy",
  "0002": "no-answer",
  "0003": "failed",
};

export function outcomeFor(to: string): CallOutcome {
  return outcomeBySuffix[to.slice(-4)] ?? "completed";
}

export interface LifecycleStep {
  status: CallStatus;
  /** Wait after the previous step. */
  afterMs: number;
}

export function lifecyclePlan(outcome: CallOutcome, timing: SimulatorTiming): LifecycleStep[] {
  const { stepMs, ringMs, talkMs } = timing;
  const initiated = { status: "initiated", afterMs: stepMs } as const;
  const ringing = { status: "ringing", afterMs: stepMs } as const;
  switch (outcome) {
    case "busy":
      return [initiated, ringing, { status: "busy", afterMs: stepMs }];
    case "no-answer":
      return [initiated, ringing, { status: "no-answer", afterMs: ringMs }];
    case "failed":
      return [initiated, { status: "failed", afterMs: stepMs }];
    case "completed":
      return [
        initiated,
        ringing,
        { status: "in-progress", afterMs: stepMs },
        { status: "completed", afterMs: talkMs },
      ];
  }
}
