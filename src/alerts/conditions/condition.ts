/**
 * A named alert condition: a small function that reads the system's state and returns the
 * instances of the condition firing now. An instance is identified by its `key` within the
 * condition (a lane, a breaker, `type@host`; '' for a condition with one instance); its
 * `summary` is one line that a person reads in a mail subject.
 */
import type { Db } from "../../database/pool.ts";
import type { AlertSeverity } from "../../database/schema.ts";
import type { AlertSettings } from "../settings.ts";

export interface AlertInstance {
  key: string;
  severity: AlertSeverity;
  summary: string;
  details: Record<string, unknown>;
}

export interface AlertCondition {
  name: string;
  evaluate(db: Db, settings: AlertSettings): Promise<AlertInstance[]>;
}
