/**
 * A small call-center history written by hand for report tests: two call queues and two agents
 * whose names are hostile (HTML and spreadsheet formulas), inbound calls over 2026-03-08 — the
 * day New York springs forward, 23 hours long — and the day before, outbound campaign calls,
 * recordings and transcripts, and the agents' states. Figures are checked against SQL written
 * in the tests, not against the analytics' own queries.
 */
import type { Db } from "../../src/database/pool.ts";

export const REPORT_DAY = "2026-03-08";
export const NEW_YORK = "America/New_York";

export const hostileNames = {
  htmlCallQueue: `<script>alert("q")</script> & <b>Co</b>`,
  formulaCallQueue: `=HYPERLINK("http://evil.example","x")`,
  agentA: "Ada Lovelace",
  formulaAgent: "@Bob",
  formulaCampaign: "+Promo",
};

export interface ReportData {
  callQueueIds: [number, number];
  agentIds: [number, number];
  campaignId: number;
}

interface Inbound {
  at: string;
  queue: 0 | 1;
  agent?: 0 | 1;
  wait: number;
  talk?: number;
  hold?: number;
  wrap?: number;
  outcome: "completed" | "abandoned";
}

const inbound: Inbound[] = [
  // 2026-03-08 in New York: 05:00Z (00:00 EST) to 2026-03-09T04:00Z (24:00 EDT).
  {
    at: "2026-03-08T05:30:00Z",
    queue: 0,
    agent: 0,
    wait: 10,
    talk: 120,
    hold: 10,
    wrap: 30,
    outcome: "completed",
  },
  {
    at: "2026-03-08T06:40:00Z",
    queue: 0,
    agent: 1,
    wait: 25,
    talk: 200,
    wrap: 20,
    outcome: "completed",
  },
  { at: "2026-03-08T07:10:00Z", queue: 1, wait: 40, outcome: "abandoned" },
  { at: "2026-03-08T07:20:00Z", queue: 1, wait: 3, outcome: "abandoned" },
  {
    at: "2026-03-08T14:00:00Z",
    queue: 1,
    agent: 0,
    wait: 5,
    talk: 60,
    hold: 5,
    wrap: 15,
    outcome: "completed",
  },
  {
    at: "2026-03-09T03:59:00Z",
    queue: 0,
    agent: 1,
    wait: 18,
    talk: 90,
    wrap: 10,
    outcome: "completed",
  },
  // The next local day.
  {
    at: "2026-03-09T04:00:00Z",
    queue: 0,
    agent: 0,
    wait: 7,
    talk: 50,
    wrap: 5,
    outcome: "completed",
  },
  // The day before.
  {
    at: "2026-03-07T15:00:00Z",
    queue: 0,
    agent: 0,
    wait: 30,
    talk: 100,
    wrap: 10,
    outcome: "completed",
  },
  { at: "2026-03-07T16:00:00Z", queue: 0, wait: 12, outcome: "abandoned" },
];

export async function writeReportData(db: Db): Promise<ReportData> {
  const queues = await db
    .insertInto("call_queues")
    .values([{ name: hostileNames.htmlCallQueue }, { name: hostileNames.formulaCallQueue }])
    .returning("id")
    .execute();
  const agents = await db
    .insertInto("agents")
    .values([{ name: hostileNames.agentA }, { name: hostileNames.formulaAgent }])
    .returning("id")
    .execute();
  const callQueueIds = queues.map((row) => Number(row.id)) as [number, number];
  const agentIds = agents.map((row) => Number(row.id)) as [number, number];
  const campaign = await db
    .insertInto("campaigns")
    .values({
      name: hostileNames.formulaCampaign,
      from_number: "+15005550006",
      max_concurrent_calls: 2,
      total_calls: 4,
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  const campaignId = Number(campaign.id);

  let n = 0;
  const callIds: number[] = [];
  for (const call of inbound) {
    const at = new Date(call.at);
    const answered = call.outcome === "completed";
    const answeredAt = answered ? new Date(at.getTime() + call.wait * 1000) : null;
    const endedAt = new Date(
      at.getTime() + (call.wait + (call.talk ?? 0) + (call.hold ?? 0)) * 1000,
    );
    const row = await db
      .insertInto("calls")
      .values({
        sid: `CAreport${String(++n).padStart(26, "0")}`,
        direction: "inbound",
        from_number: "+15551230000",
        to_number: "+15005550006",
        status: "completed",
        call_queue_id: callQueueIds[call.queue],
        agent_id: call.agent === undefined ? null : agentIds[call.agent],
        created_at: at,
        enqueued_at: at,
        answered_at: answeredAt,
        ended_at: endedAt,
        queue_result: answered ? "bridged" : "hangup",
        wait_seconds: call.wait,
        talk_seconds: call.talk ?? null,
        hold_seconds: call.hold ?? 0,
        wrap_up_seconds: call.wrap ?? null,
        outcome: call.outcome,
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    callIds.push(Number(row.id));
  }

  const outbound = [
    { at: "2026-03-08T15:00:00Z", campaign: true, outcome: "completed" },
    { at: "2026-03-08T15:05:00Z", campaign: true, outcome: "busy" },
    { at: "2026-03-08T15:10:00Z", campaign: true, outcome: "no-answer" },
    { at: "2026-03-08T15:15:00Z", campaign: true, outcome: "voicemail" },
    { at: "2026-03-08T16:00:00Z", campaign: false, outcome: "failed" },
    { at: "2026-03-07T16:00:00Z", campaign: true, outcome: "completed" },
  ] as const;
  for (const call of outbound) {
    await db
      .insertInto("calls")
      .values({
        sid: `CAreport${String(++n).padStart(26, "0")}`,
        direction: "outbound-api",
        from_number: "+15005550006",
        to_number: "+15551239999",
        status: call.outcome === "completed" ? "completed" : call.outcome,
        campaign_id: call.campaign ? campaignId : null,
        created_at: new Date(call.at),
        outcome: call.outcome,
      })
      .execute();
  }

  const recordings = [
    { storedAt: "2026-03-08T06:00:00Z", transcribedAt: "2026-03-08T06:10:00Z" },
    { storedAt: "2026-03-08T15:00:00Z", transcribedAt: null },
    { storedAt: "2026-03-07T20:00:00Z", transcribedAt: "2026-03-07T20:05:00Z" },
  ];
  for (const [index, recording] of recordings.entries()) {
    const row = await db
      .insertInto("recordings")
      .values({
        sid: `REreport${String(index).padStart(26, "0")}`,
        call_sid: `CAreport${String(index + 1).padStart(26, "0")}`,
        call_id: callIds[index] ?? null,
        status: "stored",
        stored_at: new Date(recording.storedAt),
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    if (recording.transcribedAt) {
      await db
        .insertInto("transcripts")
        .values({
          recording_id: Number(row.id),
          language: "en-US",
          status: "completed",
          text: "hello",
          completed_at: new Date(recording.transcribedAt),
        })
        .execute();
    }
  }

  // Agent A's states on the day: available, the call, wrap-up, available, a break, offline.
  const events: [number, string, string, number | null][] = [
    [agentIds[0], "available", "2026-03-08T05:00:00Z", null],
    [agentIds[0], "busy", "2026-03-08T05:30:10Z", callIds[0] ?? null],
    [agentIds[0], "wrap_up", "2026-03-08T05:32:20Z", callIds[0] ?? null],
    [agentIds[0], "available", "2026-03-08T05:32:50Z", null],
    [agentIds[0], "busy", "2026-03-08T05:45:00Z", null],
    [agentIds[0], "offline", "2026-03-08T06:00:00Z", null],
    [agentIds[1], "available", "2026-03-08T06:30:00Z", null],
    [agentIds[1], "busy", "2026-03-08T06:40:25Z", callIds[1] ?? null],
    [agentIds[1], "offline", "2026-03-08T07:00:00Z", null],
  ];
  for (const [agentId, state, startedAt, callId] of events) {
    await db
      .insertInto("agent_state_events")
      .values({
        agent_id: agentId,
        state: state as "available",
        started_at: new Date(startedAt),
        call_id: callId,
      })
      .execute();
  }
  return { callQueueIds, agentIds, campaignId };
}
