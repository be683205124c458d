import { describe, expect, it } from "vitest";
import {
  agentsNeeded,
  erlangB,
  probabilityOfWaiting,
  serviceLevel,
  trafficErlangs,
} from "../../src/analytics/erlangC.ts";
import { textbookProbabilityOfWaiting, textbookServiceLevel } from "../support/erlangCTextbook.ts";

// The classic worked example: 100 calls in 30 minutes, 180 s average handle time, 80% of the
// calls answered within 20 s: 10 Erlangs. Its published table (probability of waiting, service
// level), to a tenth of a percent.
const classic = { traffic: 10, averageHandleTimeSeconds: 180, thresholdSeconds: 20 };
const published = [
  { agents: 11, waiting: 0.682, serviceLevel: 0.39 },
  { agents: 12, waiting: 0.449, serviceLevel: 0.64 },
  { agents: 13, waiting: 0.285, serviceLevel: 0.796 },
  { agents: 14, waiting: 0.174, serviceLevel: 0.888 },
];

describe("Erlang C", () => {
  it("turns arrivals per hour and handle time into Erlangs", () => {
    expect(trafficErlangs(200, 180)).toBe(10);
    expect(trafficErlangs(0, 180)).toBe(0);
  });

  it("gives the classic worked example's published figures, and 14 agents for 80/20", () => {
    for (const row of published) {
      expect(probabilityOfWaiting(row.agents, 10)).toBeCloseTo(row.waiting, 3);
      expect(serviceLevel(row.agents, classic)).toBeCloseTo(row.serviceLevel, 3);
    }
    expect(agentsNeeded({ ...classic, target: 0.8 })).toBe(14);
    expect(agentsNeeded({ ...classic, target: 0.7 })).toBe(13);
    expect(agentsNeeded({ ...classic, target: 0.95 })).toBe(16);
  });

  it("agrees with the factorial formula computed independently", () => {
    for (const traffic of [0.5, 1, 2.7, 10, 24.3, 60]) {
      for (let agents = Math.floor(traffic) + 1; agents <= traffic + 25; agents++) {
        expect(probabilityOfWaiting(agents, traffic)).toBeCloseTo(
          textbookProbabilityOfWaiting(agents, traffic),
          10,
        );
        expect(
          serviceLevel(agents, { traffic, averageHandleTimeSeconds: 240, thresholdSeconds: 30 }),
        ).toBeCloseTo(textbookServiceLevel(agents, traffic, 240, 30), 10);
      }
    }
  });

  it("is the smallest staffing reaching the target, checked against the factorial formula", () => {
    for (const traffic of [0.2, 1, 3.5, 10, 42]) {
      const needed = agentsNeeded({ ...classic, traffic, target: 0.8 });
      expect(needed).toBeGreaterThan(traffic);
      expect(textbookServiceLevel(needed, traffic, 180, 20)).toBeGreaterThanOrEqual(0.8);
      if (needed - 1 > traffic) {
        expect(textbookServiceLevel(needed - 1, traffic, 180, 20)).toBeLessThan(0.8);
      }
    }
  });

  it("never staffs at occupancy 1: with no more agents than Erlangs every caller waits", () => {
    expect(probabilityOfWaiting(10, 10)).toBe(1);
    expect(probabilityOfWaiting(7, 10)).toBe(1);
    expect(serviceLevel(10, classic)).toBe(0);
    // A zero threshold still needs more agents than Erlangs.
    expect(
      agentsNeeded({
        traffic: 0.01,
        averageHandleTimeSeconds: 60,
        thresholdSeconds: 0,
        target: 0.5,
      }),
    ).toBe(1);
  });

  it("needs no agents for no traffic", () => {
    expect(agentsNeeded({ ...classic, traffic: 0, target: 0.8 })).toBe(0);
    expect(serviceLevel(0, { ...classic, traffic: 0 })).toBe(1);
    expect(probabilityOfWaiting(3, 0)).toBe(0);
  });

  it("is monotonic in the number of agents", () => {
    for (const traffic of [1, 10, 250]) {
      let waiting = 1;
      let level = 0;
      let blocking = 1;
      for (let agents = 0; agents <= traffic + 60; agents++) {
        const nextWaiting = probabilityOfWaiting(agents, traffic);
        const nextLevel = serviceLevel(agents, { ...classic, traffic });
        const nextBlocking = erlangB(agents, traffic);
        expect(nextWaiting).toBeLessThanOrEqual(waiting);
        expect(nextLevel).toBeGreaterThanOrEqual(level);
        expect(nextBlocking).toBeLessThanOrEqual(blocking);
        [waiting, level, blocking] = [nextWaiting, nextLevel, nextBlocking];
      }
      expect(level).toBeGreaterThan(0.99);
    }
  });

  it("stays finite and exact for huge traffic, where factorials overflow", () => {
    const traffic = 20_000;
    // The factorial formula cannot even start: 20000! and 20000^20000 are Infinity.
    expect(Number.isFinite(textbookProbabilityOfWaiting(20_100, traffic))).toBe(false);

    const input = { traffic, averageHandleTimeSeconds: 300, thresholdSeconds: 20 };
    const needed = agentsNeeded({ ...input, target: 0.8 });
    // Square-root staffing: the surplus over the traffic grows like √A, a few √A at most.
    expect(needed).toBeGreaterThan(traffic);
    expect(needed).toBeLessThan(traffic + 3 * Math.sqrt(traffic));
    const at = serviceLevel(needed, input);
    const below = serviceLevel(needed - 1, input);
    expect(at).toBeGreaterThanOrEqual(0.8);
    expect(below).toBeLessThan(0.8);
    expect(Number.isFinite(below)).toBe(true);
    const waiting = probabilityOfWaiting(needed, traffic);
    expect(waiting).toBeGreaterThan(0);
    expect(waiting).toBeLessThan(1);
    expect(erlangB(needed, traffic)).toBeGreaterThan(0);
  });

  it("refuses inputs outside the formula's domain, naming them", () => {
    expect(() => agentsNeeded({ ...classic, target: 1 })).toThrow(/target/);
    expect(() => agentsNeeded({ ...classic, target: 0 })).toThrow(/target/);
    expect(() => agentsNeeded({ ...classic, target: Number.NaN })).toThrow(/target/);
    expect(() => serviceLevel(3, { ...classic, averageHandleTimeSeconds: 0 })).toThrow(
      /averageHandleTimeSeconds/,
    );
    expect(() => serviceLevel(3, { ...classic, traffic: -1 })).toThrow(/traffic/);
    expect(() => serviceLevel(3, { ...classic, thresholdSeconds: -5 })).toThrow(/thresholdSeconds/);
    expect(() => probabilityOfWaiting(2.5, 1)).toThrow(/agents/);
    expect(() => erlangB(-1, 1)).toThrow(/agents/);
    expect(() => trafficErlangs(Number.POSITIVE_INFINITY, 10)).toThrow(/arrivalsPerHour/);
  });
});
