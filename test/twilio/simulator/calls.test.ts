import twilio from "twilio";
import { describe, expect, it } from "vitest";
import { createTwilioClient } from "../../../src/twilio/client.ts";
import { AGENT, CUSTOMER, useSimulator } from "../../support/simulatorHarness.ts";

const h = useSimulator({ timing: { talkMs: 5_000 } });

async function rejection(promise: Promise<unknown>): Promise<twilio.RestException> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(twilio.RestException);
  return error as twilio.RestException;
}

describe("calls over the real SDK", () => {
  it("creates a call and fetches it, shaped as Twilio shapes it", async () => {
    const call = await h.client.calls.create({
      to: CUSTOMER,
      from: AGENT,
      url: "https://example.com/twiml",
    });
    expect(call.sid).toMatch(/^CA[0-9a-f]{32}$/);
    expect(call).toMatchObject({
      accountSid: h.simulator.accountSid,
      to: CUSTOMER,
      from: AGENT,
      status: "queued",
      direction: "outbound-api",
      apiVersion: "2010-04-01",
      uri: `/2010-04-01/Accounts/${h.simulator.accountSid}/Calls/${call.sid}.json`,
    });
    expect(call.dateCreated).toBeInstanceOf(Date);
    expect(call.subresourceUris.recordings).toContain(`/Calls/${call.sid}/Recordings.json`);

    await expect
      .poll(async () => (await h.client.calls(call.sid).fetch()).status)
      .toBe("in-progress");
    const fetched = await h.client.calls(call.sid).fetch();
    expect(fetched.startTime).toBeInstanceOf(Date);
    expect(fetched.endTime).toBeNull();
  });

  it("lists calls newest first, filters by To and Status, and follows next pages", async () => {
    const other = "+15557654321";
    const created = [];
    for (const to of [CUSTOMER, other, CUSTOMER]) {
      created.push(await h.client.calls.create({ to, from: AGENT, twiml: "<Response/>" }));
    }
    const all = await h.client.calls.list();
    expect(all.map((call) => call.sid)).toEqual(created.map((call) => call.sid).reverse());
    const toCustomer = await h.client.calls.list({ to: CUSTOMER });
    expect(toCustomer).toHaveLength(2);
    const paged = await h.client.calls.list({ pageSize: 1 });
    expect(paged).toHaveLength(3);
    const page = await h.client.calls.page({ pageSize: 2 });
    expect(page.instances).toHaveLength(2);
    expect(page.nextPageUrl).toContain("Page=1");

    const ended = await h.client.calls(created[0]?.sid as string).update({ status: "completed" });
    const byStatus = await h.client.calls.list({ status: ended.status });
    expect(byStatus.map((call) => call.sid)).toEqual([ended.sid]);
  });

  it("hangs up an answered call with Status=completed and reports its duration", async () => {
    const call = await h.client.calls.create({ to: CUSTOMER, from: AGENT, twiml: "<Response/>" });
    await expect
      .poll(async () => (await h.client.calls(call.sid).fetch()).status)
      .toBe("in-progress");
    const ended = await h.client.calls(call.sid).update({ status: "completed" });
    expect(ended.status).toBe("completed");
    expect(Number(ended.duration)).toBeGreaterThanOrEqual(1);
    expect(ended.endTime).toBeInstanceOf(Date);
    expect(ended.price).toMatch(/^-0\.\d+$/);
  });

  it("redirects a live call, and refuses to redirect an ended one (21220)", async () => {
    const call = await h.client.calls.create({ to: CUSTOMER, from: AGENT, twiml: "<Response/>" });
    const redirected = await h.client.calls(call.sid).update({ url: "https://example.com/next" });
    expect(redirected.status).not.toBe("completed");
    await h.client.calls(call.sid).update({ status: "canceled" });
    const error = await rejection(
      h.client.calls(call.sid).update({ url: "https://example.com/again" }),
    );
    expect(error).toMatchObject({ status: 400, code: 21220 });
  });

  it("refuses numbers that are not E.164 with Twilio's codes", async () => {
    const badTo = await rejection(
      h.client.calls.create({ to: "555-1234", from: AGENT, url: "https://example.com/twiml" }),
    );
    expect(badTo).toMatchObject({ status: 400, code: 21211 });
    expect(badTo.message).toContain("555-1234");
    expect(badTo.moreInfo).toBe("https://www.twilio.com/docs/errors/21211");
    const badFrom = await rejection(
      h.client.calls.create({ to: CUSTOMER, from: "+12", url: "https://example.com/twiml" }),
    );
    expect(badFrom).toMatchObject({ status: 400, code: 21212 });
    const noUrl = await rejection(h.client.calls.create({ to: CUSTOMER, from: AGENT }));
    expect(noUrl).toMatchObject({ status: 400, code: 21205 });
    expect(h.simulator.eventLog().calls).toHaveLength(0);
  });

  it("answers 404 with code 20404 for an unknown call", async () => {
    const error = await rejection(h.client.calls(`CA${"0".repeat(32)}`).fetch());
    expect(error).toMatchObject({ status: 404, code: 20404 });
  });

  it("answers 401 (code 20003) to wrong credentials", async () => {
    const intruder = createTwilioClient({
      accountSid: h.simulator.accountSid,
      authToken: "not-the-token",
      simulatorUrl: h.simulator.url,
    });
    const error = await rejection(intruder.calls.list());
    expect(error).toMatchObject({ status: 401, code: 20003 });

    const raw = await fetch(
      `${h.simulator.url}/2010-04-01/Accounts/${h.simulator.accountSid}/Calls.json`,
    );
    expect(raw.status).toBe(401);
    expect(raw.headers.get("www-authenticate")).toContain("Basic");
    expect(await raw.json()).toEqual({
      code: 20003,
      message: "Authenticate",
      more_info: "https://www.twilio.com/docs/errors/20003",
      status: 401,
    });
  });
});
