/**
 * Typed enqueue. The payload is validated before anything is written; the execution row and its
 * graphile-worker job are inserted by one statement, so a status lookup right after enqueue is
 * consistent. Pass a Kysely transaction to enqueue as part of your own work (outbox pattern).
 */
import { type RawBuilder, sql } from "kysely";
import { z } from "zod";
import type { Db } from "../database/pool.ts";
import { findUnstorableText, refuseUnstorable } from "../database/storableText.ts";
import { EnqueueError } from "./errors.ts";
import { liveStatuses } from "./executionStatus.ts";
import {
  addJob,
  envelopeJson,
  jobEnvelope,
  jobEnvelopeSql,
  jobSpecRow,
  ledgerPayload,
} from "./jobSpec.ts";
import { defaultLanes } from "./lanes.ts";
import type { TaskRegistry } from "./registry.ts";
import type { AnyTask, EnqueueOptions } from "./types.ts";

const optionsSchema = z
  .object({
    runAt: z.date().optional(),
    delayMs: z.number().int().min(0).optional(),
    priority: z.number().int().min(-1000).max(1000).optional(),
    jobKey: z.string().min(1).max(512).superRefine(refuseUnstorable).optional(),
    maxAttempts: z.number().int().min(1).max(1000).optional(),
    expiresAt: z.date().optional(),
    expiresInMs: z.number().int().min(1).optional(),
    correlationId: z.string().min(1).max(200).superRefine(refuseUnstorable).optional(),
    parentId: z.uuid().optional(),
  })
  .strict()
  .refine((o) => !(o.runAt && o.delayMs !== undefined), {
    message: "give runAt or delayMs, not both",
    path: ["delayMs"],
  })
  .refine((o) => !(o.expiresAt && o.expiresInMs !== undefined), {
    message: "give expiresAt or expiresInMs, not both",
    path: ["expiresInMs"],
  })
  .superRefine((o, ctx) => {
    if (expiresBeforeRun(o)) {
      ctx.addIssue({
        code: "custom",
        message: "the job would expire before it runs",
        path: [o.expiresAt ? "expiresAt" : "expiresInMs"],
      });
    }
  });

/**
 * Whether an expiry falls at or before the run time, when both are given the same way: two
 * instants, or two delays from the database's now. An instant against a delay would need this
 * process's clock, which may be off; such an expiry is taken as it is.
 */
function expiresBeforeRun(o: {
  runAt?: Date;
  delayMs?: number;
  expiresAt?: Date;
  expiresInMs?: number;
}): boolean {
  if (o.expiresAt && o.runAt) return o.expiresAt.getTime() <= o.runAt.getTime();
  if (o.expiresInMs !== undefined && !o.runAt) return o.expiresInMs <= (o.delayMs ?? 0);
  return false;
}

export interface EnqueueItem {
  task: AnyTask;
  payload: unknown;
  options?: EnqueueOptions;
}

/** Enqueues one job; returns its execution's public id. */
export async function enqueue(
  db: Db,
  task: AnyTask,
  payload: unknown,
  options: EnqueueOptions = {},
): Promise<string> {
  const [id] = await enqueueMany(db, [{ task, payload, options }]);
  return id as string;
}

/** Enqueues a task by name; an unknown name is an `EnqueueError`. */
export function enqueueByName(
  db: Db,
  registry: TaskRegistry,
  taskName: string,
  payload: unknown,
  options: EnqueueOptions = {},
): Promise<string> {
  const task = registry.get(taskName);
  if (!task) {
    throw new EnqueueError(`unknown task "${taskName}"`, [
      { path: "task_name", message: "no task of this name" },
    ]);
  }
  return enqueue(db, task, payload, options);
}

/**
 * Enqueues many jobs in one transaction (all or none); returns public ids in input order.
 * Every payload is validated first: one bad item refuses the whole batch, naming its index.
 */
export async function enqueueMany(db: Db, items: EnqueueItem[]): Promise<string[]> {
  const rows = items.map((item, index) => prepare(item, items.length > 1 ? `[${index}].` : ""));
  if (rows.length === 0) return [];
  const run = async (trx: Db) => {
    const ids = new Array<string>(rows.length);
    const plain = rows.flatMap((row, index) => (row.job_key ? [] : [{ ...row, n: index }]));
    if (plain.length > 0) {
      for (const { n, public_id } of await insertPlain(trx, plain)) ids[n] = public_id;
    }
    for (const [index, row] of rows.entries()) {
      if (row.job_key) ids[index] = await insertKeyed(trx, row);
    }
    return ids;
  };
  return db.isTransaction ? run(db) : db.transaction().execute(run);
}

interface PreparedRow {
  task_name: string;
  lane: string;
  payload: unknown;
  /** The payload as the ledger shows it, and the secret values it keeps apart. */
  shown: unknown;
  secrets: Record<string, unknown> | null;
  priority: number;
  max_attempts: number;
  /** The caller's `runAt`; without it, the job runs `delay_ms` after the database's now. */
  run_at: string | null;
  delay_ms: number;
  /** The caller's `expiresAt`; else `expires_in_ms` after the database's now, or no expiry. */
  expires_at: string | null;
  expires_in_ms: number | null;
  job_key: string | null;
  correlation_id: string | null;
  parent_id: string | null;
}

function prepare({ task, payload, options = {} }: EnqueueItem, prefix: string): PreparedRow {
  const parsedOptions = optionsSchema.safeParse(options);
  if (!parsedOptions.success) throw refusal(`${prefix}options`, parsedOptions.error);
  const parsed = task.payload.safeParse(payload);
  if (!parsed.success) throw refusal(`${prefix}payload`, parsed.error);
  const unstorable = findUnstorableText(parsed.data);
  if (unstorable) {
    const path = [`${prefix}payload`, ...unstorable.path.map(String)].join(".");
    throw new EnqueueError(`invalid ${path} (${unstorable.message})`, [
      { path, message: unstorable.message },
    ]);
  }
  const o = parsedOptions.data;
  return {
    task_name: task.name,
    lane: task.lane,
    payload: parsed.data,
    ...ledgerPayload(task, parsed.data),
    priority: o.priority ?? task.jobPriority?.(parsed.data) ?? defaultLanes[task.lane].priority,
    max_attempts: o.maxAttempts ?? task.maxAttempts,
    run_at: o.runAt?.toISOString() ?? null,
    delay_ms: o.delayMs ?? 0,
    expires_at: o.expiresAt?.toISOString() ?? null,
    expires_in_ms: o.expiresInMs ?? null,
    job_key: o.jobKey ?? null,
    correlation_id: o.correlationId ?? null,
    parent_id: o.parentId ?? null,
  };
}

function refusal(where: string, error: z.ZodError): EnqueueError {
  const issues = error.issues.map((issue) => ({
    path: [where, ...issue.path.map(String)].join("."),
    message: issue.message,
  }));
  return new EnqueueError(
    `invalid ${issues.map((i) => `${i.path} (${i.message})`).join(", ")}`,
    issues,
  );
}

/**
 * When the job runs: the caller's `runAt`, or `delayMs` from the database's now, which every
 * later comparison (the job's fetch, its expiry) also reads: this process's clock may be off.
 */
function runAtSql(runAt: RawBuilder<unknown>, delayMs: RawBuilder<unknown>): RawBuilder<string> {
  return sql<string>`coalesce(${runAt}::timestamptz,
    now() + ${delayMs}::float8 * interval '1 millisecond')`;
}

/** The expiry: the caller's `expiresAt`, or `expiresInMs` from the database's now, or null. */
function expiresAtSql(
  expiresAt: RawBuilder<unknown>,
  expiresInMs: RawBuilder<unknown>,
): RawBuilder<string | null> {
  return sql<string | null>`coalesce(${expiresAt}::timestamptz,
    now() + ${expiresInMs}::float8 * interval '1 millisecond')`;
}

/** A job that runs later than now is `scheduled`. */
function statusSql(runAt: RawBuilder<string>): RawBuilder<"queued" | "scheduled"> {
  return sql`(case when ${runAt} > now() + interval '50 milliseconds'
                   then 'scheduled' else 'queued' end)`;
}

/** One statement: reserve execution ids, add the jobs, insert the executions with their job ids. */
async function insertPlain(db: Db, rows: (PreparedRow & { n: number })[]) {
  const { rows: inserted } = await sql<{ n: number; public_id: string }>`
    with input as (
      select x.*, due.at as due_at, ${statusSql(sql`due.at`)} as status,
             ${expiresAtSql(sql`x.expires_at`, sql`x.expires_in_ms`)} as expires,
             nextval(pg_get_serial_sequence('executions', 'id')) as id, uuid_v7() as public_id
      from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as x(
        n int, task_name text, lane text, payload jsonb, shown jsonb,
        secrets jsonb,
        priority int, max_attempts int, run_at timestamptz, delay_ms float8,
        expires_at timestamptz, expires_in_ms float8, correlation_id text, parent_id uuid)
      cross join lateral (select ${runAtSql(sql`x.run_at`, sql`x.delay_ms`)} as at) due
    ),
    jobs as (
      select j.id as job_id, (j.payload->>'e')::bigint as execution_id
      from graphile_worker.add_jobs(array(
        select ${jobSpecRow({
          taskName: sql`task_name`,
          envelope: jobEnvelopeSql({
            executionId: sql`id`,
            publicId: sql`public_id`,
            attempt: 1,
            payload: sql`payload`,
            maxAttempts: sql`max_attempts`,
            expiresAt: sql`expires`,
          }),
          runAt: sql`due_at`,
          maxAttempts: sql`max_attempts`,
          priority: sql`priority`,
          lane: sql`lane`,
        })}
        from input order by n
      )) j
    ),
    inserted as (
      insert into executions (id, public_id, task_name, lane, status, payload, secrets, job_id,
                              priority, max_attempts, run_at, expires_at, correlation_id, parent_id)
      select i.id, i.public_id, i.task_name, i.lane, i.status, i.shown, i.secrets,
             jobs.job_id, i.priority, i.max_attempts, i.due_at, i.expires, i.correlation_id,
             i.parent_id
      from input i join jobs on jobs.execution_id = i.id
      returning id
    )
    select input.n, input.public_id from inserted join input on input.id = inserted.id
  `.execute(db);
  return inserted;
}

/**
 * A keyed enqueue returns the live execution holding the key, or creates one. The conflict is
 * settled by the insert itself (`do update` locks and returns the live row, or inserts once that
 * row has ended), so an execution ending at the same moment cannot leave the key unanswered.
 */
async function insertKeyed(db: Db, row: PreparedRow): Promise<string> {
  // One transaction (see `enqueueMany`): now() is the same for the execution and its job.
  const runAt = runAtSql(sql`${row.run_at}`, sql`${row.delay_ms}`);
  const { id, public_id, inserted, expires_at } = await db
    .insertInto("executions")
    .values({
      task_name: row.task_name,
      lane: row.lane,
      status: statusSql(runAt),
      payload: JSON.stringify(row.shown),
      secrets: row.secrets ? JSON.stringify(row.secrets) : null,
      priority: row.priority,
      max_attempts: row.max_attempts,
      run_at: runAt,
      expires_at: expiresAtSql(sql`${row.expires_at}`, sql`${row.expires_in_ms}`),
      job_key: row.job_key,
      correlation_id: row.correlation_id,
      parent_id: row.parent_id,
      job_id: null,
    })
    .onConflict((oc) =>
      oc
        .column("job_key")
        .where("job_key", "is not", null)
        .where("status", "in", liveStatuses)
        .doUpdateSet({ job_key: (eb) => eb.ref("excluded.job_key") }),
    )
    .returning(["id", "public_id", "expires_at", sql<boolean>`xmax = 0`.as("inserted")])
    .executeTakeFirstOrThrow();
  if (!inserted) return public_id;
  const job = addJob({
    taskName: row.task_name,
    envelope: envelopeJson(
      jobEnvelope({
        executionId: id,
        publicId: public_id,
        attempt: 1,
        payload: row.payload,
        maxAttempts: row.max_attempts,
        expiresAt: expires_at,
      }),
    ),
    runAt,
    maxAttempts: row.max_attempts,
    priority: row.priority,
    lane: row.lane,
  });
  await sql`update executions set job_id = ${job} where id = ${id}`.execute(db);
  return public_id;
}
