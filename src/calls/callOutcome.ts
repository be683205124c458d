/**
 * How a call ended, for reports: its `outcome` and `talk_seconds`, recomputed from the call's
 * row whenever something that decides them arrives (a final status, the call-queue result, an
 * agent answering), so the callbacks' order does not matter.
 *
 * Inbound: undecided while the caller is live; once the call has ended (final status, or the
 * caller hung up in the call queue), `completed` if an agent answered (or the call queue says
 * `bridged`), `failed` if the call queue refused it (`queue-full`, `error`, `system-error`),
 * else `abandoned`. Outbound: its final status (`completed`, `busy`, `no-answer`, `failed`;
 * `completed` by an answering machine or fax is `voicemail`; `canceled` has none).
 * Talk seconds run from `answered_at` (an agent answered, for inbound) to `ended_at`; for an
 * outbound call completed without a recorded answer, they are Twilio's CallDuration.
 */
import { sql, type Transaction } from "kysely";
import type { Database } from "../database/schema.ts";

export async function refreshCallOutcome(trx: Transaction<Database>, callId: number) {
  await sql`
    update calls set
      outcome = case
        when direction = 'inbound' then case
          when status_rank < 4 and ended_at is null then null
          when answered_at is not null or queue_result = 'bridged' then 'completed'
          when queue_result in ('queue-full', 'error', 'system-error') then 'failed'
          else 'abandoned'
        end
        when status_rank < 4 then null
        when status = 'completed' and (answered_by like 'machine%' or answered_by = 'fax')
          then 'voicemail'
        when status in ('completed', 'busy', 'no-answer', 'failed') then status
      end,
      talk_seconds = case
        when answered_at is not null and ended_at is not null
          then greatest(0, round(extract(epoch from ended_at - answered_at)))::int
        -- An outbound call's answer may come after its end (callbacks out of order, the late
        -- one not applied): Twilio's CallDuration of the completed call is its talk time.
        when direction <> 'inbound' and status = 'completed' then duration_seconds
      end
    where id = ${callId}`.execute(trx);
}
