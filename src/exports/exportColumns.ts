/**
 * The columns of an export, in file order, and what each holds. The README's table of export
 * columns is this list. Times are UTC, ISO 8601 with up to six fraction digits (`2026-11-22T13:45:01.1234Z`);
 * an empty CSV cell (JSON `null`) is a value the call does not have.
 */
export const exportColumns = [
  ["id", "the call's numeric id (`calls.id`)"],
  ["call_id", "the call's public id (UUID), as the API shows it"],
  ["call_sid", "Twilio's CallSid"],
  ["direction", "`inbound`, `outbound-api` or `outbound-dial`"],
  ["from_number", "the caller's number"],
  ["to_number", "the number called"],
  ["status", "Twilio's call status (`completed`, `busy`, `no-answer`, `failed`, `canceled`, …)"],
  [
    "outcome",
    "how the call ended for reports: `completed`, `abandoned`, `busy`, `no-answer`, `failed`, `voicemail`; empty while live",
  ],
  ["call_queue_id", "the call queue's id (`queue_ids` filters on it)"],
  ["call_queue", "the call queue's name"],
  ["agent_id", "the agent who handled the call (`agent_ids` filters on it)"],
  ["agent", "the agent's name"],
  ["campaign_id", "the outbound campaign's public id (UUID)"],
  ["campaign", "the campaign's name"],
  [
    "report_time",
    "when the call entered the call center: `enqueued_at`, else `created_at`; the date filters and the file's order use it",
  ],
  ["created_at", "when the call's row was created"],
  ["enqueued_at", "when an inbound caller entered the call queue"],
  ["answered_at", "when an agent (inbound) or the callee (outbound) answered"],
  ["ended_at", "when the call ended"],
  ["wait_seconds", "seconds waited in the call queue"],
  ["talk_seconds", "seconds talked"],
  ["hold_seconds", "seconds on hold"],
  ["wrap_up_seconds", "the agent's after-call work, in seconds"],
  ["duration_seconds", "Twilio's call duration, in seconds"],
  [
    "queue_result",
    "how the wait in the call queue ended (Twilio's QueueResult: `bridged`, `hangup`, …)",
  ],
  ["answered_by", "Twilio's answering machine detection (`human`, `machine_start`, …)"],
  ["error_code", "Twilio's error code for a failed call"],
  ["error_message", "Twilio's error message for a failed call"],
] as const satisfies readonly (readonly [string, string])[];

export type ExportColumnName = (typeof exportColumns)[number][0];

export const exportColumnNames: ExportColumnName[] = exportColumns.map(([name]) => name);
