import type { Logger } from "../../observability/logger.ts";
import type { CallbackSender } from "./callbacks.ts";
import type { EventLog } from "./eventLog.ts";
import type { FaultQueue } from "./faults.ts";
import type { CallLifecycle } from "./lifecycle.ts";
import type { MessageLifecycle } from "./messageLifecycle.ts";
import type { SimulatorTiming } from "./options.ts";
import type { SimulatorState } from "./state.ts";
import type { Timers } from "./timers.ts";

/** What the simulator's routes share. */
export interface SimulatorDependencies {
  accountSid: string;
  authToken: string;
  timing: SimulatorTiming;
  state: SimulatorState;
  log: EventLog;
  timers: Timers;
  faults: FaultQueue;
  callbacks: CallbackSender;
  lifecycle: CallLifecycle;
  messageLifecycle: MessageLifecycle;
  logger: Logger;
  /** `http://127.0.0.1:<port>` once listening. */
  baseUrl: () => string;
  reset: () => void;
}
