/**
 * The rows of a generated history, computed in the process and written in binary COPY format:
 * each call of a day, and the three state events of the agent who answered it.
 *
 * Every random draw is a hash of (seed, call number, draw number), so the same options give the
 * same calls whatever order the days are written in. Agents take the calls of a day in turn
 * (call j goes to agent j mod agents), and a call's talk, hold and wrap-up are cut to end before
 * that agent's next turn: each agent goes available → busy → wrap_up → available without
 * overlap. Agents are on duty around the clock; the quiet hours show as idle time.
 */
import { callStatusRank } from "../../calls/callStatus.ts";
import type { BinaryCopyWriter } from "../../database/binaryCopy.ts";
import type { HistoryPlan } from "./historyPlan.ts";

/** The columns of `calls` that a generated call fills, in the order rows are written. */
export const generatedCallColumns = [
  "id",
  "public_id",
  "sid",
  "direction",
  "from_number",
  "to_number",
  "status",
  "status_rank",
  "call_queue_id",
  "agent_id",
  "campaign_id",
  "answered_by",
  "created_at",
  "dialed_at",
  "enqueued_at",
  "answered_at",
  "ended_at",
  "duration_seconds",
  "updated_at",
  "queue_sid",
  "queue_result",
  "wait_seconds",
  "talk_seconds",
  "hold_seconds",
  "wrap_up_seconds",
  "outcome",
] as const;

/** The columns of `agent_state_events` written, in order. */
export const generatedEventColumns = ["id", "agent_id", "state", "started_at", "call_id"] as const;

/** The most agent state events a call brings: busy, wrap-up and available again. */
export const maxEventsPerCall = 3;

/** One local day of the history. */
export interface HistoryDay {
  /** Local midnight, in seconds since the Unix epoch. */
  start: number;
  /** Length of the local day in seconds (23 or 25 hours on a DST change). */
  seconds: number;
  calls: number;
  /** The number of the day's first call, counted over the whole history. */
  firstCall: number;
}

export interface HistoryRowsOptions {
  seed: number;
  plan: HistoryPlan;
  agentIds: number[];
  callQueueIds: number[];
  campaignIds: number[];
  /** 16 hex digits unique to this run, for Twilio-like sids and public ids. */
  runTag: string;
  /** The id of call number 0; call number k gets id `firstCallId + k`. */
  firstCallId: number;
  /** Events take consecutive ids from here, in the order they are written. */
  firstEventId: number;
}

/** What a run of `HistoryRows.write` produced. */
export interface WrittenRows {
  calls: number;
  agentStateEvents: number;
}

const inboundShareWithCampaigns = 0.8;
const twoTo32 = 4_294_967_296;
const completedRank = callStatusRank.completed ?? 4;

/** A 32-bit integer hash with full avalanche (Chris Wellons' lowbias32). */
function mix32(value: number): number {
  let h = value;
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b);
  h ^= h >>> 16;
  return h >>> 0;
}

type DialOutcome = "completed" | "voicemail" | "no-answer" | "busy" | "failed";

function dialOutcome(draw: number): DialOutcome {
  if (draw < 0.45) return "completed";
  if (draw < 0.6) return "voicemail";
  if (draw < 0.8) return "no-answer";
  if (draw < 0.92) return "busy";
  return "failed";
}

const dialSeconds: Record<DialOutcome, number> = {
  completed: 0,
  voicemail: 0,
  "no-answer": 30,
  busy: 2,
  failed: 1,
};

export class HistoryRows {
  private readonly seedKey: number;
  private readonly quantiles: Float64Array;
  private readonly steps: number;
  private readonly hourLoad: Float64Array;
  private readonly publicIdHigh: Uint8Array;
  private readonly queueSids: string[];
  private readonly inboundNumbers: string[];
  private readonly campaignNumbers: string[];
  /** Calls written per campaign, by the campaign's index in `campaignIds`. */
  readonly campaignCalls: number[];
  private readonly options: HistoryRowsOptions;
  private nextEventId: number;

  constructor(options: HistoryRowsOptions) {
    this.options = options;
    this.nextEventId = options.firstEventId;
    this.seedKey = mix32(options.seed ^ 0x5bd1e995);
    this.quantiles = Float64Array.from(options.plan.arrivalQuantiles);
    this.steps = this.quantiles.length - 1;
    this.hourLoad = Float64Array.from(options.plan.hourLoad);
    this.publicIdHigh = Buffer.from(options.runTag, "hex");
    this.queueSids = options.callQueueIds.map((id) => `QU${id.toString(16).padStart(32, "0")}`);
    this.inboundNumbers = options.callQueueIds.map(
      (_, index) => `+1555010${String(index + 1).padStart(4, "0")}`,
    );
    this.campaignNumbers = options.campaignIds.map(
      (_, index) => `+1555090${String(index + 1).padStart(4, "0")}`,
    );
    this.campaignCalls = options.campaignIds.map(() => 0);
  }

  /** Writes calls `from` (inclusive) to `to` (exclusive) of `day`, and their agents' events. */
  write(
    day: HistoryDay,
    from: number,
    to: number,
    calls: BinaryCopyWriter,
    events: BinaryCopyWriter,
  ): WrittenRows {
    const { agentIds, callQueueIds, campaignIds } = this.options;
    const agentCount = agentIds.length;
    const withCampaigns = campaignIds.length > 0;
    let eventCount = 0;
    for (let j = from; j < to; j++) {
      const k = day.firstCall + j;
      const key = this.callKey(k);
      const atSecond = Math.floor(this.fraction(j, this.draw(key, 0), day.calls) * day.seconds);
      const nextTurnSecond =
        j + agentCount < day.calls
          ? Math.floor(
              this.fraction(j + agentCount, this.draw(this.callKey(k + agentCount), 0), day.calls) *
                day.seconds,
            )
          : day.seconds;
      const isOutbound = withCampaigns && this.draw(key, 1) >= inboundShareWithCampaigns;
      const load = this.hourLoad[Math.min(23, Math.floor((atSecond * 24) / day.seconds))] ?? 1;
      const patience = -Math.log(1 - this.draw(key, 2)) * 300;
      const waitDraw = -Math.log(1 - this.draw(key, 3));
      const talkDraw = 30 - Math.log(1 - this.draw(key, 4)) * 150;
      const holdDraw = this.draw(key, 5) < 0.3 ? -Math.log(1 - this.draw(key, 6)) * 40 : 0;
      const wrapDraw = 10 - Math.log(1 - this.draw(key, 7)) * 30;
      const outcomeDraw = this.draw(key, 8);
      const pickDraw = this.draw(key, 9);
      const numberDraw = mix32(key + 0x2545f491) & 0x7fffffff;
      const pivot = day.start + atSecond;
      const id = this.options.firstCallId + k;

      calls.row(generatedCallColumns.length);
      calls.int8(id);
      calls.uuid(this.publicIdHigh, k);
      calls.text(`CA${this.options.runTag}${k.toString(16).padStart(16, "0")}`);

      if (!isOutbound) {
        const neededWait = waitDraw * (10 + 70 * load);
        const abandoned = patience < neededWait;
        const budget = nextTurnSecond - atSecond - 1;
        const share = Math.min(1, budget / (talkDraw + holdDraw + wrapDraw));
        const talk = Math.max(1, Math.floor(talkDraw * share));
        const hold = Math.max(
          0,
          Math.min(Math.round(holdDraw), Math.floor(holdDraw * share), budget - talk - 1),
        );
        const wrap = Math.max(1, Math.min(Math.round(wrapDraw), budget - talk - hold));
        const queueIndex = Math.floor(callQueueIds.length * pickDraw ** 1.6);
        const wait = Math.floor(abandoned ? patience : neededWait);
        const enqueuedAt = pivot - wait;
        const endedAt = abandoned ? pivot : pivot + talk + hold;
        const agentId = agentIds[j % agentCount] ?? 0;

        calls.text("inbound");
        calls.text(`+1${2012000000 + numberDraw}`);
        calls.text(this.inboundNumbers[queueIndex] ?? "");
        calls.text("completed");
        calls.int2(completedRank);
        calls.int8(callQueueIds[queueIndex] ?? 0);
        if (abandoned) calls.null();
        else calls.int8(agentId);
        calls.null(); // campaign_id
        calls.null(); // answered_by
        calls.timestamptz(enqueuedAt); // created_at
        calls.null(); // dialed_at
        calls.timestamptz(enqueuedAt);
        if (abandoned) calls.null();
        else calls.timestamptz(pivot); // answered_at
        calls.timestamptz(endedAt);
        calls.int4(abandoned ? wait : wait + talk + hold); // duration_seconds
        calls.timestamptz(endedAt); // updated_at
        calls.text(this.queueSids[queueIndex] ?? "");
        calls.text(abandoned ? "hangup" : "bridged");
        calls.int4(wait);
        if (abandoned) calls.null();
        else calls.int4(talk);
        calls.int4(abandoned ? 0 : hold);
        if (abandoned) calls.null();
        else calls.int4(wrap);
        calls.text(abandoned ? "abandoned" : "completed");

        if (!abandoned) {
          const wrapUpAt = pivot + talk + hold;
          this.event(events, agentId, "busy", pivot, id);
          this.event(events, agentId, "wrap_up", wrapUpAt, id);
          this.event(events, agentId, "available", wrapUpAt + wrap, null);
          eventCount += 3;
        }
        continue;
      }

      const campaignIndex = Math.floor(campaignIds.length * pickDraw);
      const outcome = dialOutcome(outcomeDraw);
      const connected = outcome === "completed" || outcome === "voicemail";
      const ring = 3 + Math.floor(this.draw(key, 11) * 20);
      const talk =
        outcome === "voicemail" ? 15 + (Math.floor(outcomeDraw * 100) % 30) : Math.round(talkDraw);
      const endedAt = pivot + (connected ? ring + talk : dialSeconds[outcome]);
      this.campaignCalls[campaignIndex] = (this.campaignCalls[campaignIndex] ?? 0) + 1;

      calls.text("outbound-api");
      calls.text(this.campaignNumbers[campaignIndex] ?? "");
      calls.text(`+1${2012000000 + numberDraw}`);
      calls.text(outcome === "voicemail" ? "completed" : outcome);
      calls.int2(completedRank);
      calls.null(); // call_queue_id
      calls.null(); // agent_id
      calls.int8(campaignIds[campaignIndex] ?? 0);
      if (outcome === "completed") calls.text("human");
      else if (outcome === "voicemail") calls.text("machine_end_beep");
      else calls.null();
      calls.timestamptz(pivot); // created_at
      calls.timestamptz(pivot); // dialed_at
      calls.null(); // enqueued_at
      if (connected) calls.timestamptz(pivot + ring);
      else calls.null();
      calls.timestamptz(endedAt);
      calls.int4(connected ? talk : 0);
      calls.timestamptz(endedAt); // updated_at
      calls.null(); // queue_sid
      calls.null(); // queue_result
      calls.null(); // wait_seconds
      if (connected) calls.int4(talk);
      else calls.null();
      calls.int4(0); // hold_seconds
      calls.null(); // wrap_up_seconds
      calls.text(outcome);
    }
    return { calls: to - from, agentStateEvents: eventCount };
  }

  private event(
    events: BinaryCopyWriter,
    agentId: number,
    state: string,
    at: number,
    callId: number | null,
  ): void {
    events.row(generatedEventColumns.length);
    events.int8(this.nextEventId++);
    events.int8(agentId);
    events.text(state);
    events.timestamptz(at);
    if (callId === null) events.null();
    else events.int8(callId);
  }

  /** The hash every draw of call number `k` starts from. */
  private callKey(k: number): number {
    return mix32((k % twoTo32) ^ mix32(Math.floor(k / twoTo32) + this.seedKey));
  }

  /** A uniform draw in [0, 1): draw number `n` of the call whose key is `key`. */
  private draw(key: number, n: number): number {
    return mix32(key + Math.imul(n + 1, 0x9e3779b9)) / twoTo32;
  }

  /**
   * The fraction of the day at which the call `j` of `n` arrives: stratified within its 1/n slice,
   * then mapped through the arrival quantiles (interpolated between them).
   */
  private fraction(j: number, draw: number, n: number): number {
    const x = ((j + 0.5 * draw) / n) * this.steps;
    const step = Math.floor(x);
    const low = this.quantiles[step] ?? 1;
    const high = this.quantiles[Math.min(step + 1, this.steps)] ?? 1;
    return low + (x - step) * (high - low);
  }
}
