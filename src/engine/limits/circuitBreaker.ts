/**
 * Circuit breakers shared by every worker: a row in `circuit_breakers` per external service.
 * Closed, calls go through and consecutive failures are counted; at `failureThreshold` the
 * breaker opens and calls fail at once with `CircuitOpenError`. After `recoveryTimeoutMs` it is
 * half-open: one caller in the whole fleet probes the service, the rest keep failing fast; the
 * probe's success closes the breaker, its failure opens it for another `recoveryTimeoutMs`.
 *
 * Caveat: a probe that never reports (its worker crashed) holds the half-open state for
 * `recoveryTimeoutMs`; after that another caller may probe. By default every error counts as a
 * failure of the service; pass `isFailure` so that, say, a Twilio 400 for a bad phone number does
 * not open the breaker for everyone. A failure to record the outcome is ignored, so that the
 * result of a call that did happen is never replaced by a database error.
 *
 * @example
 * const call = await withCircuitBreaker(db, "twilio", {}, () => twilio.calls.create(params));
 */
import { randomUUID } from "node:crypto";
import { sql } from "kysely";
import { z } from "zod";
import type { Db } from "../../database/pool.ts";

export type CircuitState = "closed" | "open" | "half_open";

export interface CircuitBreakerOptions {
  /** Consecutive failures that open the breaker. Default 5. */
  failureThreshold?: number;
  /** Time the breaker stays open before one probe is let through. Default 300 000 (5 min). */
  recoveryTimeoutMs?: number;
  /** Which errors count against the service. Default: all. */
  isFailure?: (error: unknown) => boolean;
}

export const circuitBreakerDefaults = { failureThreshold: 5, recoveryTimeoutMs: 300_000 };

export interface CircuitBreakerStatus {
  name: string;
  state: CircuitState;
  failures: number;
  openedAt: Date | null;
  probeStartedAt: Date | null;
}

export class CircuitOpenError extends Error {
  override name = "CircuitOpenError";
  readonly breaker: string;
  /** Time until the breaker lets a probe through. */
  readonly retryAfterMs: number;

  constructor(breaker: string, retryAfterMs: number) {
    super(`circuit breaker ${JSON.stringify(breaker)} is open; retry in ${retryAfterMs} ms`);
    this.breaker = breaker;
    this.retryAfterMs = retryAfterMs;
  }
}

const positiveInteger = (field: string) =>
  z
    .int({ error: `${field} must be a whole number` })
    .min(1, { error: `${field} must be at least 1` });

const optionsSchema = z.object({
  name: z.string({ error: "name must be a string" }).min(1, { error: "name must not be empty" }),
  failureThreshold: positiveInteger("failureThreshold").default(
    circuitBreakerDefaults.failureThreshold,
  ),
  recoveryTimeoutMs: positiveInteger("recoveryTimeoutMs").default(
    circuitBreakerDefaults.recoveryTimeoutMs,
  ),
  isFailure: z
    .custom<(error: unknown) => boolean>((value) => typeof value === "function", {
      error: "isFailure must be a function",
    })
    .optional(),
});

/** Runs `fn` unless the breaker `name` is open; records its outcome for every worker to see. */
export async function withCircuitBreaker<T>(
  db: Db,
  name: string,
  options: CircuitBreakerOptions,
  fn: () => Promise<T>,
): Promise<T> {
  const parsed = optionsSchema.safeParse({ ...options, name });
  if (!parsed.success) {
    throw new RangeError(parsed.error.issues.map((issue) => issue.message).join("; "));
  }
  const { failureThreshold, recoveryTimeoutMs, isFailure = () => true } = parsed.data;
  const probeHolder = await admit(db, name, recoveryTimeoutMs);
  let result: T;
  try {
    result = await fn();
  } catch (error) {
    const failed = isFailure(error);
    await ignoreErrors(
      failed
        ? recordFailure(db, name, failureThreshold, probeHolder)
        : recordSuccess(db, name, probeHolder),
    );
    throw error;
  }
  await ignoreErrors(recordSuccess(db, name, probeHolder));
  return result;
}

/** The stored state of the breaker; one never used reads as closed. */
export async function circuitBreakerGet(db: Db, name: string): Promise<CircuitBreakerStatus> {
  const { rows } = await sql<CircuitBreakerStatus>`
    select name, state, failures, opened_at as "openedAt", probe_started_at as "probeStartedAt"
    from circuit_breakers where name = ${name}`.execute(db);
  return rows[0] ?? { name, state: "closed", failures: 0, openedAt: null, probeStartedAt: null };
}

/** The breakers that are not closed (open, or half-open while one caller probes), by name. */
export async function circuitBreakerListNotClosed(db: Db): Promise<CircuitBreakerStatus[]> {
  const { rows } = await sql<CircuitBreakerStatus>`
    select name, state, failures, opened_at as "openedAt", probe_started_at as "probeStartedAt"
    from circuit_breakers where state <> 'closed' order by name`.execute(db);
  return rows;
}

/**
 * Lets the call through (null), claims the probe of a breaker whose recovery time is over (the
 * probe's holder id), or throws `CircuitOpenError`. The claim is one conditional UPDATE, so
 * concurrent callers cannot both win it.
 */
async function admit(db: Db, name: string, recoveryTimeoutMs: number): Promise<string | null> {
  const holder = randomUUID();
  const recovery = sql`(${recoveryTimeoutMs}::float8 * interval '1 millisecond')`;
  for (;;) {
    const { rows } = await sql<{
      probing: boolean;
      state: CircuitState | null;
      retry_after_ms: number | null;
    }>`
      with claim as (
        update circuit_breakers
        set state = 'half_open', probe_holder = ${holder},
            probe_started_at = clock_timestamp(), updated_at = clock_timestamp()
        where name = ${name}
          and ((state = 'open' and opened_at + ${recovery} <= clock_timestamp())
            or (state = 'half_open' and probe_started_at + ${recovery} <= clock_timestamp()))
        returning name
      )
      select
        exists (select from claim) as probing,
        breaker.state,
        extract(epoch from
          case breaker.state when 'open' then breaker.opened_at else breaker.probe_started_at end
          + ${recovery} - clock_timestamp()
        )::float8 * 1000 as retry_after_ms
      from (values (1)) as one
      left join circuit_breakers as breaker on breaker.name = ${name}`.execute(db);
    const row = rows[0];
    if (row?.probing) return holder;
    if (!row?.state || row.state === "closed") return null;
    if (row.retry_after_ms !== null && row.retry_after_ms > 0) {
      throw new CircuitOpenError(name, Math.ceil(row.retry_after_ms));
    }
    // The recovery time is over but another caller claimed the probe after this statement's
    // snapshot was taken: look again to report the state that caller left.
  }
}

async function recordSuccess(db: Db, name: string, probeHolder: string | null) {
  if (probeHolder) {
    await sql`
      update circuit_breakers
      set state = 'closed', failures = 0, opened_at = null, probe_holder = null,
          probe_started_at = null, updated_at = clock_timestamp()
      where name = ${name} and state = 'half_open' and probe_holder = ${probeHolder}`.execute(db);
  } else {
    await sql`
      update circuit_breakers set failures = 0, updated_at = clock_timestamp()
      where name = ${name} and state = 'closed' and failures > 0`.execute(db);
  }
}

async function recordFailure(
  db: Db,
  name: string,
  failureThreshold: number,
  probeHolder: string | null,
) {
  if (probeHolder) {
    await sql`
      update circuit_breakers
      set state = 'open', failures = failures + 1, opened_at = clock_timestamp(),
          probe_holder = null, probe_started_at = null, updated_at = clock_timestamp()
      where name = ${name} and state = 'half_open' and probe_holder = ${probeHolder}`.execute(db);
    return;
  }
  // Failures of calls let through before the breaker opened do not count once it is open.
  await sql`
    insert into circuit_breakers as breaker (name, state, failures, opened_at, updated_at)
    select ${name}, case when opens then 'open' else 'closed' end, 1,
           case when opens then now end, now
    from (select clock_timestamp() as now, ${failureThreshold}::int = 1 as opens) as failure
    on conflict (name) do update set
      failures = breaker.failures + 1,
      state = case when breaker.failures + 1 >= ${failureThreshold}::int then 'open' else 'closed' end,
      opened_at = case when breaker.failures + 1 >= ${failureThreshold}::int then excluded.updated_at end,
      updated_at = excluded.updated_at
    where breaker.state = 'closed'`.execute(db);
}

function ignoreErrors(promise: Promise<void>): Promise<void> {
  return promise.catch(() => {});
}
