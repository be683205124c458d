import { describe, expect, it } from "vitest";
import { sentencesFor, transcriptTextFor } from "../../../src/twilio/simulator/sentences.ts";
import { AGENT, CUSTOMER, useSimulator } from "../../support/simulatorHarness.ts";

const h = useSimulator();
const serviceSid = `GA${"1".repeat(32)}`;

async function recordingSid(): Promise<string> {
  await h.client.calls.create({
    to: CUSTOMER,
    from: AGENT,
    twiml: "<Response/>",
    record: true,
    recordingStatusCallback: `${h.receiver.url}/recording`,
  });
  const [callback] = await h.receiver.waitFor(1);
  return callback?.params.RecordingSid as string;
}

describe("Voice Intelligence transcripts", () => {
  it("transcribes a recording: create, fetch until completed, read the sentences", async () => {
    const source = await recordingSid();
    const transcripts = h.client.intelligence.v2.transcripts;
    const created = await transcripts.create({
      serviceSid,
      channel: { media_properties: { source_sid: source } },
      customerKey: "call-42",
    });
    expect(created.sid).toMatch(/^GT[0-9a-f]{32}$/);
    expect(created).toMatchObject({
      serviceSid,
      accountSid: h.simulator.accountSid,
      status: "queued",
      customerKey: "call-42",
      channel: { media_properties: { source_sid: source } },
    });
    expect(created.links.sentences).toContain(`/v2/Transcripts/${created.sid}/Sentences`);

    await expect
      .poll(async () => (await transcripts(created.sid).fetch()).status)
      .toBe("completed");
    const sentences = await transcripts(created.sid).sentences.list();
    expect(sentences.map((sentence) => sentence.transcript)).toEqual(
      sentencesFor(source).map((sentence) => sentence.text),
    );
    expect(sentences.map((sentence) => sentence.transcript).join(" ")).toBe(
      transcriptTextFor(source),
    );
    expect(sentences.map((sentence) => sentence.mediaChannel)).toEqual([1, 2, 1]);
    expect(sentences.map((sentence) => sentence.sentenceIndex)).toEqual([0, 1, 2]);
    const paged = await transcripts(created.sid).sentences.list({ pageSize: 1 });
    expect(paged).toHaveLength(3);
  });

  it("fails a transcript whose recording does not exist, and refuses a bad channel", async () => {
    const transcripts = h.client.intelligence.v2.transcripts;
    const created = await transcripts.create({
      serviceSid,
      channel: { media_properties: { source_sid: `RE${"0".repeat(32)}` } },
    });
    await expect.poll(async () => (await transcripts(created.sid).fetch()).status).toBe("failed");
    expect(await transcripts(created.sid).sentences.list()).toEqual([]);
    await expect(transcripts.create({ serviceSid, channel: {} })).rejects.toMatchObject({
      status: 400,
    });
  });
});
