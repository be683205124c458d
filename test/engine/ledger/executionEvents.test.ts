import { describe, expect, it } from "vitest";
import {
  type ExecutionEvent,
  notificationPayloads,
} from "../../../src/engine/ledger/executionEvents.ts";

function event(n: number, message: string | null = null): ExecutionEvent {
  return {
    execution: {
      id: n,
      publicId: `0190f8a2-1c3d-7e4f-8a9b-${String(n).padStart(12, "0")}`,
      task: "send_sms",
      lane: "realtime",
    },
    status: "running",
    progress: 50,
    message,
  };
}

describe("execution event notifications", () => {
  it("packs events into as few payloads as PostgreSQL's 8000-byte limit allows, one per line", () => {
    const events = Array.from({ length: 500 }, (_, n) => event(n));
    const payloads = notificationPayloads(events).split("\n");
    expect(payloads.length).toBeGreaterThan(1);
    expect(payloads.length).toBeLessThan(15);
    // Full but for the last: no payload would have taken the next one's first event.
    for (const payload of payloads.slice(0, -1)) {
      expect(Buffer.byteLength(payload)).toBeGreaterThan(7_700);
    }
    for (const payload of payloads) expect(Buffer.byteLength(payload)).toBeLessThan(8000);
    const published = payloads.flatMap((payload) => JSON.parse(payload));
    expect(published.map((e: { id: string }) => e.id)).toEqual(
      events.map((e) => e.execution.publicId),
    );
    expect(published[7]).toEqual({
      id: events[7]?.execution.publicId,
      task: "send_sms",
      lane: "realtime",
      status: "running",
      progress: 50,
      message: null,
    });
  });

  it("cuts long progress messages so that every event fits, counting bytes, not characters", () => {
    const long = "é".repeat(5_000);
    const payloads = notificationPayloads([
      event(1, long),
      event(2, long),
      event(3, "short"),
    ]).split("\n");
    for (const payload of payloads) expect(Buffer.byteLength(payload)).toBeLessThan(8000);
    const published = payloads.flatMap((payload) => JSON.parse(payload));
    expect(published.map((e: { message: string }) => e.message.length)).toEqual([1000, 1000, 5]);
  });

  it("escapes quotes, backslashes and line breaks in a message, and only there", () => {
    const message = 'step "2" of C:\\imports\nnext line\tand a tab';
    const payloads = notificationPayloads([event(1, message), event(2)]);
    expect(payloads.split("\n")).toHaveLength(1);
    expect(JSON.parse(payloads)).toEqual([
      expect.objectContaining({ id: event(1).execution.publicId, progress: 50, message }),
      expect.objectContaining({ id: event(2).execution.publicId, message: null }),
    ]);
  });

  it("publishes nothing for no events", () => {
    expect(notificationPayloads([])).toBe("");
  });
});
