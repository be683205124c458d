/**
 * Execution ↔ job: what a graphile-worker job carries for its execution (the envelope), the
 * `add_job` / `add_jobs` calls that give an execution a job (the lane's flag, the negated
 * priority), taking a job back before any worker sees it, the payload as the ledger shows it
 * (secret fields redacted) and as it was enqueued, and the execution a crontab job gets when it
 * starts. Enqueue, reschedule, retry and the crontab path all go through here.
 */
import { type RawBuilder, sql } from "kysely";
import type { Db } from "../database/pool.ts";
import type { AnyTask } from "./types.ts";

/**
 * What a job carries in graphile-worker. Short keys: it is written for every job.
 * e: execution id, u: its public id, a: the attempt this job starts at, p: the payload,
 * m: max attempts, x: expiry (epoch ms), h: 1 once the execution has attempt history.
 */
export interface JobEnvelope {
  e: number;
  u: string;
  a: number;
  p: unknown;
  m?: number;
  x?: number;
  h?: 1;
}

export function isJobEnvelope(raw: unknown): raw is JobEnvelope {
  return typeof raw === "object" && raw !== null && "e" in raw && "a" in raw;
}

/** The fields of an envelope, by name. */
export interface EnvelopeFields<Value = never> {
  executionId: number | Value;
  publicId: string | Value;
  /** The attempt the job starts at. */
  attempt: number | Value;
  /** The payload the task parses: with its secret fields. */
  payload: unknown;
  maxAttempts: number | Value;
  expiresAt?: Date | string | null | Value;
  /** The execution has earlier attempts, so a success of the job's first run is not a first try. */
  hasHistory?: boolean | Value;
}

/** An envelope from its fields. */
export function jobEnvelope(fields: EnvelopeFields): JobEnvelope {
  const { expiresAt } = fields;
  return {
    e: fields.executionId,
    u: fields.publicId,
    a: fields.attempt,
    p: fields.payload,
    m: fields.maxAttempts,
    ...(expiresAt ? { x: new Date(expiresAt).getTime() } : {}),
    ...(fields.hasHistory ? { h: 1 as const } : {}),
  };
}

/** The envelope as a JSON parameter. */
export function envelopeJson(envelope: JobEnvelope): RawBuilder<unknown> {
  return sql`${JSON.stringify(envelope)}::json`;
}

/**
 * An envelope computed in SQL from its fields, e.g. from the columns of the rows being written;
 * the same keys as `jobEnvelope`. `expiresAt` is a timestamptz (null: none), `hasHistory` a
 * boolean.
 */
export function jobEnvelopeSql(fields: EnvelopeFields<RawBuilder<unknown>>): RawBuilder<unknown> {
  const expiry =
    fields.expiresAt === undefined
      ? sql``
      : sql`|| case when ${fields.expiresAt}::timestamptz is null then '{}'::jsonb
              else jsonb_build_object('x',
                (extract(epoch from ${fields.expiresAt}::timestamptz) * 1000)::bigint) end`;
  const history =
    fields.hasHistory === undefined
      ? sql``
      : sql`|| case when ${fields.hasHistory}::boolean then '{"h": 1}'::jsonb else '{}'::jsonb end`;
  return sql`((jsonb_build_object('e', ${fields.executionId}::bigint,
    'u', ${fields.publicId}::text, 'a', ${fields.attempt}::int, 'p', ${fields.payload}::jsonb,
    'm', ${fields.maxAttempts}::int) ${expiry} ${history}))::json`;
}

/** A value, or an SQL expression computing it (e.g. a column of the row being written). */
type SqlValue<T> = T | RawBuilder<unknown>;

/** The fields of one job. `priority` is the execution's, "higher runs first" as lanes speak. */
export interface JobSpec {
  taskName: SqlValue<string>;
  envelope: RawBuilder<unknown>;
  /** Default now. */
  runAt?: SqlValue<string>;
  maxAttempts: SqlValue<number>;
  priority: SqlValue<number>;
  lane: SqlValue<string>;
}

/**
 * graphile-worker runs the lowest priority number first; lanes and executions speak "higher is
 * more urgent", so a job's priority is the execution's, negated.
 */
const jobPriority = (priority: SqlValue<number>) => sql`(-(${priority})::int)`;

/** `(select id from graphile_worker.add_job(…))`: adds the job, evaluates to its id. */
export function addJob(spec: JobSpec): RawBuilder<number> {
  return sql<number>`(select id from graphile_worker.add_job(${spec.taskName}::text, ${spec.envelope},
    run_at => coalesce(${spec.runAt ?? null}::timestamptz, now()),
    max_attempts => ${spec.maxAttempts}::int, priority => ${jobPriority(spec.priority)},
    flags => array[${spec.lane}::text]))`;
}

/** One `graphile_worker.job_spec` for `graphile_worker.add_jobs(array[…])`. */
export function jobSpecRow(spec: JobSpec): RawBuilder<unknown> {
  return sql`row(${spec.taskName}::text, ${spec.envelope}, null,
    coalesce(${spec.runAt ?? null}::timestamptz, now()), ${spec.maxAttempts}::int, null,
    ${jobPriority(spec.priority)}, array[${spec.lane}::text])::graphile_worker.job_spec`;
}

/**
 * Takes back the job of a queued execution before any worker sees it: completes the job and
 * clears the execution's `job_id`, so the reconcile sweep (which ends live executions whose job
 * is gone) leaves the execution alone. Run it in the transaction that enqueued the execution.
 * Returns the envelope the job carried.
 */
export async function jobTakeBack(trx: Db, publicId: string): Promise<JobEnvelope> {
  const { rows } = await sql<{ envelope: JobEnvelope | null }>`
    with execution as (
      select id, job_id from executions where public_id = ${publicId}
    ),
    job as (
      select j.payload
      from execution, graphile_worker.complete_jobs(array[execution.job_id]::bigint[]) j
    ),
    cleared as (
      update executions e set job_id = null from execution where e.id = execution.id
    )
    select (select payload from job) as envelope`.execute(trx);
  const envelope = rows[0]?.envelope;
  if (!envelope) throw new Error(`execution ${publicId} has no job to take back`);
  return envelope;
}

export interface LedgerPayload {
  /** What the ledger shows: the task's secret fields replaced by "[redacted]". */
  shown: unknown;
  /** The secret values, kept apart; null when the task has none in this payload. */
  secrets: Record<string, unknown> | null;
}

/** Splits a payload into what the ledger shows and the secret values it keeps apart. */
export function ledgerPayload(
  task: Pick<AnyTask, "secretFields">,
  payload: unknown,
): LedgerPayload {
  const secretFields = task.secretFields;
  if (!secretFields?.length || typeof payload !== "object" || payload === null) {
    return { shown: payload, secrets: null };
  }
  const shown: Record<string, unknown> = { ...(payload as Record<string, unknown>) };
  const secrets: Record<string, unknown> = {};
  for (const field of secretFields) {
    if (field in shown) {
      secrets[field] = shown[field];
      shown[field] = "[redacted]";
    }
  }
  return { shown, secrets };
}

/**
 * The payload as it was enqueued, from an `executions` row: the ledger's payload with the secret
 * values put back (both are top-level keys; `secrets` is null unless the payload is an object).
 * `table` qualifies the columns, e.g. in a join.
 */
export function payloadWithSecrets(table?: string): RawBuilder<unknown> {
  const payload = sql.ref(table ? `${table}.payload` : "payload");
  const secrets = sql.ref(table ? `${table}.secrets` : "secrets");
  return sql`(case when ${secrets} is null then ${payload} else ${payload} || ${secrets} end)`;
}

/** What graphile-worker tells of a job the crontab added. */
export interface CronJob {
  id: string;
  runAt: Date;
  /** The crontab line's payload, with the `_cron` graphile-worker adds. */
  payload: unknown;
}

/**
 * The payload a crontab run of `task` gets: the line's, as the task's `scheduledPayload` makes
 * it for the minute the run was scheduled for (an operator's "run now" passes the present).
 */
export function cronRunPayload(
  task: AnyTask,
  linePayload: Record<string, unknown>,
  scheduledAt: Date,
  services?: unknown,
): Record<string, unknown> {
  return task.scheduledPayload
    ? task.scheduledPayload(linePayload, scheduledAt, services)
    : linePayload;
}

/**
 * Jobs added by the crontab carry no execution; they get one when they start, with the lane's
 * priority and the task's max attempts, and the payload the task's `scheduledPayload` makes of
 * the line's for the minute it was scheduled for. Returns the envelope the job runs with.
 */
export async function executionForCronJob(
  db: Db,
  task: AnyTask,
  job: CronJob,
  priority: number,
  services?: unknown,
): Promise<JobEnvelope> {
  // graphile-worker adds `_cron` (the scheduled time) to the crontab line's payload.
  const { _cron, ...linePayload } = (job.payload ?? {}) as { _cron?: { ts?: unknown } };
  const scheduledAt =
    typeof _cron?.ts === "string" && !Number.isNaN(Date.parse(_cron.ts))
      ? new Date(_cron.ts)
      : new Date(job.runAt);
  const payload = cronRunPayload(task, linePayload, scheduledAt, services);
  const { shown, secrets } = ledgerPayload(task, payload);
  const created = await db
    .insertInto("executions")
    .values({
      task_name: task.name,
      lane: task.lane,
      status: "queued",
      payload: JSON.stringify(shown),
      secrets: secrets ? JSON.stringify(secrets) : null,
      job_id: sql<number>`${job.id}::bigint`,
      priority,
      max_attempts: task.maxAttempts,
      run_at: job.runAt,
      correlation_id: "crontab",
    })
    .returning(["id", "public_id"])
    .executeTakeFirstOrThrow();
  return jobEnvelope({
    executionId: created.id,
    publicId: created.public_id,
    attempt: 1,
    payload,
    maxAttempts: task.maxAttempts,
  });
}
