/**
 * One evaluation of every alert condition, recorded as `alerts` rows, with the mails it calls
 * for enqueued as `send_email` jobs in the same transaction (a mail is sent only if its row
 * change commits).
 *
 * - An instance firing with no open alert opens one and mails "started".
 * - An open alert whose instance no longer fires is resolved and mails "resolved" once — if a
 *   mail told anyone it started.
 * - An open alert still firing mails again only once `repeatMinutes` have passed since its last
 *   mail.
 * - No mail about one condition instance follows another within `repeatMinutes`, except the
 *   resolution of an alert that was mailed: an instance that flaps (resolves and starts again)
 *   opens a new alert without a mail, and that alert is mailed when the window is over if it is
 *   still firing.
 *
 * Checks take turns on a transaction-level advisory lock and evaluate the conditions while they
 * hold it, so any number of workers running the check at once produce one row and one mail per
 * change; the partial unique index on open alerts backs that up.
 */
import { sql, type Transaction } from "kysely";
import sendEmail from "../../tasks/send_email.ts";
import type { Db } from "../database/pool.ts";
import type { Alert, Database } from "../database/schema.ts";
import { enqueue } from "../engine/enqueue.ts";
import { type AlertMailKind, alertMail } from "./alertMail.ts";
import type { AlertCondition, AlertInstance } from "./conditions/condition.ts";
import { alertConditions } from "./conditions/index.ts";
import type { AlertSettings } from "./settings.ts";

export interface AlertChange {
  id: number;
  condition: string;
  key: string;
  summary: string;
  /** Whether a mail was enqueued for this change. */
  mailed: boolean;
}

export interface AlertCheckResult {
  /** Instances firing now, across every condition. */
  firing: number;
  opened: AlertChange[];
  resolved: AlertChange[];
  /** Open alerts mailed again (or, after a flap, for the first time) as their window passed. */
  renotified: AlertChange[];
}

const instanceId = (condition: string, key: string) => `${condition}\u0000${key}`;

export async function alertCheck(
  db: Db,
  settings: AlertSettings,
  conditions: readonly AlertCondition[] = alertConditions,
): Promise<AlertCheckResult> {
  return db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(hashtext('switchboard.alert_check'))`.execute(trx);
    const firing = new Map<string, { condition: string; instance: AlertInstance }>();
    for (const condition of conditions) {
      for (const instance of await condition.evaluate(trx, settings)) {
        firing.set(instanceId(condition.name, instance.key), {
          condition: condition.name,
          instance,
        });
      }
    }
    // The time after the lock was granted: now() is the transaction's start, before the wait.
    const { rows: clock } = await sql<{ now: Date }>`select statement_timestamp() as now`.execute(
      trx,
    );
    const now = (clock[0] as { now: Date }).now;
    const repeatAfter = new Date(now.getTime() - settings.repeatMinutes * 60_000);
    const lastMails = await lastMailsSince(trx, repeatAfter);
    const open = await trx
      .selectFrom("alerts")
      .selectAll()
      .where("resolved_at", "is", null)
      .forUpdate()
      .execute();
    const openByInstance = new Map(
      open.map((alert) => [instanceId(alert.condition, alert.instance_key), alert]),
    );
    const mayMail = (alert: Pick<Alert, "condition" | "instance_key">) =>
      settings.recipients.length > 0 &&
      !lastMails.has(instanceId(alert.condition, alert.instance_key));

    const result: AlertCheckResult = {
      firing: firing.size,
      opened: [],
      resolved: [],
      renotified: [],
    };
    for (const [id, { condition, instance }] of firing) {
      const existing = openByInstance.get(id);
      if (existing) {
        const alert = await trx
          .updateTable("alerts")
          .set({
            severity: instance.severity,
            summary: instance.summary,
            details: JSON.stringify(instance.details),
            last_seen_at: now,
          })
          .where("id", "=", existing.id)
          .returningAll()
          .executeTakeFirstOrThrow();
        if (mayMail(alert)) {
          const kind = alert.last_notified_at ? "still_firing" : "started";
          await notify(trx, alert, kind, settings.recipients, now);
          result.renotified.push(change(alert, true));
        }
        continue;
      }
      const alert = await trx
        .insertInto("alerts")
        .values({
          condition,
          instance_key: instance.key,
          severity: instance.severity,
          summary: instance.summary,
          details: JSON.stringify(instance.details),
          started_at: now,
          last_seen_at: now,
        })
        .onConflict((conflict) =>
          conflict
            .columns(["condition", "instance_key"])
            .where("resolved_at", "is", null)
            .doNothing(),
        )
        .returningAll()
        .executeTakeFirst();
      if (!alert) continue;
      const mailed = mayMail(alert);
      if (mailed) await notify(trx, alert, "started", settings.recipients, now);
      result.opened.push(change(alert, mailed));
    }
    for (const [id, existing] of openByInstance) {
      if (firing.has(id)) continue;
      const alert = await trx
        .updateTable("alerts")
        .set({ resolved_at: now })
        .where("id", "=", existing.id)
        .returningAll()
        .executeTakeFirstOrThrow();
      const mailed = alert.last_notified_at !== null && settings.recipients.length > 0;
      if (mailed) await notify(trx, alert, "resolved", settings.recipients, now);
      result.resolved.push(change(alert, mailed));
    }
    return result;
  });
}

/** The condition instances mailed about after `since`. */
async function lastMailsSince(trx: Transaction<Database>, since: Date): Promise<Set<string>> {
  const rows = await trx
    .selectFrom("alerts")
    .select(["condition", "instance_key"])
    .distinct()
    .where("last_notified_at", ">", since)
    .execute();
  return new Set(rows.map((row) => instanceId(row.condition, row.instance_key)));
}

async function notify(
  trx: Transaction<Database>,
  alert: Alert,
  kind: AlertMailKind,
  recipients: string[],
  now: Date,
) {
  await enqueue(trx, sendEmail, alertMail(alert, kind, recipients));
  await trx
    .updateTable("alerts")
    .set({ last_notified_at: now, notifications: sql`notifications + 1` })
    .where("id", "=", alert.id)
    .execute();
}

function change(alert: Alert, mailed: boolean): AlertChange {
  return {
    id: alert.id,
    condition: alert.condition,
    key: alert.instance_key,
    summary: alert.summary,
    mailed,
  };
}
