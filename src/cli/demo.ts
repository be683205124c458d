/**
 * `switchboard demo`: a call center with data in it on a fresh machine. Seeds agents and call
 * queues (which the simulated call center, src/cli/simulatedCallCenter.ts, plays into), then
 * runs a ten-call campaign through the whole stack — dialing through the Twilio
 * SDK (the local simulator unless credentials are set), signed status callbacks into the
 * webhooks, recordings downloaded and stored encrypted — and prints where to look.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { sql } from "kysely";
import type { Db } from "../database/pool.ts";
import { enqueue } from "../engine/enqueue.ts";
import type { AnyTask } from "../engine/task.ts";
import type { Logger } from "../observability/logger.ts";

export const demoNumbers = [
  "+15550100101",
  "+15550100102",
  "+15550100103",
  "+15550100104",
  "+15550100105",
  "+15550100106",
  "+15550100107",
  "+15550100001", // busy
  "+15550100002", // no answer
  "+15550100003", // failed
];

/** The call queues `seedCallCenter` creates, which the simulated call center's callers ring. */
export const demoCallQueues = ["support", "sales", "billing"] as const;

/** Agents and call queues to look at; idempotent (by agent email and call queue name). */
export async function seedCallCenter(db: Db) {
  await sql`
    insert into call_queues (name, description) values
      ('support', 'Customer support line'), ('sales', 'Outbound sales follow-ups'),
      ('billing', 'Invoices and payments')
    on conflict (name) do nothing`.execute(db);
  await sql`
    insert into agents (name, email, phone_number, status) values
      ('Ada Lovelace', 'ada@example.com', '+15550109001', 'available'),
      ('Grace Hopper', 'grace@example.com', '+15550109002', 'available'),
      ('Alan Turing', 'alan@example.com', '+15550109003', 'offline'),
      ('Katherine Johnson', 'katherine@example.com', '+15550109004', 'offline'),
      ('Margaret Hamilton', 'margaret@example.com', '+15550109005', 'offline'),
      ('Edsger Dijkstra', 'edsger@example.com', '+15550109006', 'offline')
    on conflict (email) do nothing`.execute(db);
}

/**
 * Enqueues the demo campaign; resolves with its public id once every call has ended and the
 * recordings of the answered ones are stored.
 */
export async function runDemoCampaign(
  db: Db,
  bulkCallsTask: AnyTask,
  logger: Logger,
): Promise<string> {
  const taskId = await enqueue(db, bulkCallsTask, {
    phone_numbers: demoNumbers,
    max_concurrent_calls: 3,
    delay_between_calls: 0,
    campaign_name: "demo",
    call_metadata: { source: "switchboard demo" },
  });
  logger.info({ taskId }, "demo campaign enqueued");
  for (;;) {
    const row = await sql<{ status: string; finished: number; total: number }>`
      select c.status,
             (select count(*)::int from calls where campaign_id = c.id
                and status in ('completed', 'busy', 'no-answer', 'failed', 'canceled')) as finished,
             c.total_calls as total
      from campaigns c where c.public_id = ${taskId}`.execute(db);
    const campaign = row.rows[0];
    if (campaign)
      logger.info({ finished: campaign.finished, total: campaign.total }, "demo campaign progress");
    if (campaign?.status === "completed") break;
    await sleep(2_000);
  }
  // Answered calls leave a recording; wait (a minute at most) for them to be stored too.
  for (let waited = 0; waited < 60_000; waited += 1_000) {
    const row = await sql<{ answered: number; stored: number }>`
      select count(*) filter (where c.status = 'completed')::int as answered,
             count(r.id) filter (where r.status = 'stored')::int as stored
      from calls c join campaigns k on k.id = c.campaign_id
      left join recordings r on r.call_id = c.id
      where k.public_id = ${taskId}`.execute(db);
    const counts = row.rows[0];
    if (counts && counts.stored >= counts.answered) break;
    await sleep(1_000);
  }
  return taskId;
}

/** Inbound calls so far: how many, by outcome (`live` while undecided), and the latest one's sid. */
export async function inboundSummary(db: Db) {
  const rows = await sql<{ outcome: string; n: number }>`
    select coalesce(outcome, 'live') as outcome, count(*)::int as n
    from calls where direction = 'inbound' group by 1 order by 1`.execute(db);
  const latest = await db
    .selectFrom("calls")
    .select("sid")
    .where("direction", "=", "inbound")
    .where("outcome", "is not", null)
    .orderBy("id", "desc")
    .limit(1)
    .executeTakeFirst();
  return {
    total: rows.rows.reduce((sum, row) => sum + row.n, 0),
    byOutcome: rows.rows.map((row) => `${row.outcome} ${row.n}`).join(", ") || "none yet",
    latestSid: latest?.sid ?? undefined,
  };
}
