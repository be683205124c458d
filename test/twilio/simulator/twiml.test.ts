import twilio from "twilio";
import { describe, expect, it } from "vitest";
import {
  firstVerb,
  parseTwiml,
  playingSeconds,
  TwimlError,
} from "../../../src/twilio/simulator/twiml.ts";

describe("parseTwiml", () => {
  it("reads what the twilio SDK writes: verbs, attributes, nouns, escaped text", () => {
    const response = new twilio.twiml.VoiceResponse();
    response.enqueue(
      { action: "https://example.com/result?a=1&b=2", waitUrl: "/wait", method: "GET" },
      "support & <billing>",
    );
    const parsed = parseTwiml(response.toString());
    const enqueue = firstVerb(parsed, "Enqueue");
    expect(enqueue).toMatchObject({
      attributes: { action: "https://example.com/result?a=1&b=2", waitUrl: "/wait", method: "GET" },
      text: "support & <billing>",
    });

    const agent = new twilio.twiml.VoiceResponse();
    agent.dial().queue({ url: "https://example.com/answer?agent_id=7", method: "POST" }, "sales");
    const queue = firstVerb(parseTwiml(agent.toString()), "Dial")?.children[0];
    expect(queue).toMatchObject({
      name: "Queue",
      attributes: { url: "https://example.com/answer?agent_id=7", method: "POST" },
      text: "sales",
    });
  });

  it("reads hand-written TwiML: single quotes, comments, self-closing verbs, character references", () => {
    const parsed = parseTwiml(`<?xml version="1.0"?>
      <!-- hold music -->
      <Response>
        <Say voice='alice'>Caf&#233; &#x263A; line</Say>
        <Pause length="20"/>
        <Play loop="2">https://example.com/music.mp3</Play>
      </Response>`);
    expect(parsed.children.map((verb) => verb.name)).toEqual(["Say", "Pause", "Play"]);
    expect(firstVerb(parsed, "Say")?.text).toBe("Café ☺ line");
    expect(firstVerb(parsed, "Say")?.attributes.voice).toBe("alice");
    // Three words spoken (1.2 s), a 20 s pause, two loops of music.
    expect(playingSeconds(parsed)).toBeCloseTo(23.2);
    expect(playingSeconds(parseTwiml("<Response><Pause/></Response>"))).toBe(1);
  });

  it("refuses what Twilio could not run", () => {
    for (const bad of [
      "",
      "hello",
      "<Response>",
      "<Response><Say>hi</Pause></Response>",
      "<Response></Response><Response></Response>",
      "<Reply><Say>hi</Say></Reply>",
      "<Response><Say>&bogus;</Say></Response>",
      "<Response><Say a=1>hi</Say></Response>",
      "text<Response/>",
    ]) {
      expect(() => parseTwiml(bad), bad).toThrow(TwimlError);
    }
  });
});
