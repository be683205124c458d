/** The operator behind a request, for audit rows: the API token's name and the request's id. */
import type { AuditRecord, Operator } from "../control/audit.ts";

interface RequestContext {
  get(key: "principal"): { name: string };
  get(key: "requestId"): string;
}

export function operatorOf(c: RequestContext): Operator {
  return { actor: c.get("principal").name, requestId: c.get("requestId") };
}

export function auditEntry(
  c: RequestContext,
  action: string,
  targetIds: string[],
  outcome: string,
  details: Record<string, unknown> = {},
): AuditRecord {
  return { ...operatorOf(c), action, targetIds, details, outcome };
}
