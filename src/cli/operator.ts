/** The operator behind a CLI command, for audit rows: `cli:<os user>`. */
import { userInfo } from "node:os";
import type { Operator } from "../control/audit.ts";

export function cliOperator(): Operator {
  let user: string;
  try {
    user = userInfo().username;
  } catch {
    // A uid without a passwd entry, as in some containers.
    user = "unknown";
  }
  return { actor: `cli:${user}`, requestId: null };
}
