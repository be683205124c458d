/**
 * `switchboard demo`: a call center with data in it on a fresh machine. Seeds agents and call
 * queues, then runs a ten-call campaign through the whole stack — dialing through the Twilio
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

export async function seedCallCenter(db: Db) {
  await sql`
    insert into call_queues (name, description) values
      ('support', 'Customer support line'), ('sales', 'Outbound sales follow-ups')
    on conflict (name) do nothing`.execute(db);
  await sql`
    insert into agents (name, email, phone_number, status) values
      ('Ada Lovelace', 'ada@example.com', '+15550109001', 'available'),
      ('Grace Hopper', 'grace@example.com', '+15550109002', 'available'),
      ('Alan Turing', 'alan@example.com', '+15550109003', 'offline')
    on conflict (email) do nothing`.execute(db);
}

/** Enqueues the demo campaign; resolves with its public id once it has finished. */
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
    if (campaign?.status === "completed") return taskId;
    await sleep(2_000);
  }
}
