import twilio from "twilio";
import { describe, expect, it } from "vitest";
import { rejectionOf } from "../../support/promises.ts";
import { AGENT, CUSTOMER, useSimulator } from "../../support/simulatorHarness.ts";

const h = useSimulator();
const SERVICE = `MG${"a".repeat(32)}`;

async function refusal(promise: Promise<unknown>): Promise<twilio.RestException> {
  const error = await rejectionOf<Error>(promise);
  expect(error).toBeInstanceOf(twilio.RestException);
  return error as twilio.RestException;
}

describe("messages over the real SDK", () => {
  it("sends an SMS and fetches it, shaped as Twilio shapes it", async () => {
    const message = await h.client.messages.create({ to: CUSTOMER, from: AGENT, body: "Hello" });
    expect(message.sid).toMatch(/^SM[0-9a-f]{32}$/);
    expect(message).toMatchObject({
      accountSid: h.simulator.accountSid,
      to: CUSTOMER,
      from: AGENT,
      body: "Hello",
      status: "queued",
      direction: "outbound-api",
      numSegments: "1",
      errorCode: null,
      uri: `/2010-04-01/Accounts/${h.simulator.accountSid}/Messages/${message.sid}.json`,
    });
    expect(message.dateCreated).toBeInstanceOf(Date);
    expect(message.dateSent).toBeNull();

    await expect
      .poll(async () => (await h.client.messages(message.sid).fetch()).status)
      .toBe("delivered");
    const delivered = await h.client.messages(message.sid).fetch();
    expect(delivered.dateSent).toBeInstanceOf(Date);
    expect(h.simulator.eventLog().messages).toEqual([
      expect.objectContaining({ sid: message.sid, to: CUSTOMER, from: AGENT, body: "Hello" }),
    ]);
  });

  it("lists messages newest first, filters by To and From, and follows next pages", async () => {
    const other = "+15557654321";
    const created = [];
    for (const to of [CUSTOMER, other, CUSTOMER]) {
      created.push(await h.client.messages.create({ to, from: AGENT, body: `to ${to}` }));
    }
    const all = await h.client.messages.list();
    expect(all.map((message) => message.sid)).toEqual(
      created.map((message) => message.sid).reverse(),
    );
    expect(await h.client.messages.list({ to: CUSTOMER })).toHaveLength(2);
    expect(await h.client.messages.list({ from: "+15550000000" })).toHaveLength(0);
    const paged = await h.client.messages.list({ pageSize: 1 });
    expect(paged).toHaveLength(3);
    const page = await h.client.messages.page({ pageSize: 2 });
    expect(page.instances).toHaveLength(2);
    expect(page.nextPageUrl).toContain("Page=1");
  });

  it("refuses bad input with Twilio's codes and HTTP 400, creating nothing", async () => {
    const noTo = await refusal(h.client.messages.create({ to: "", from: AGENT, body: "x" }));
    expect(noTo).toMatchObject({ status: 400, code: 21604 });
    const badTo = await refusal(
      h.client.messages.create({ to: "555-1234", from: AGENT, body: "x" }),
    );
    expect(badTo).toMatchObject({ status: 400, code: 21211 });
    expect(badTo.message).toContain("555-1234");
    expect(badTo.moreInfo).toBe("https://www.twilio.com/docs/errors/21211");
    const noBody = await refusal(h.client.messages.create({ to: CUSTOMER, from: AGENT }));
    expect(noBody).toMatchObject({ status: 400, code: 21602 });
    const noSender = await refusal(h.client.messages.create({ to: CUSTOMER, body: "x" }));
    expect(noSender).toMatchObject({ status: 400, code: 21603 });
    const badFrom = await refusal(
      h.client.messages.create({ to: CUSTOMER, from: "+1", body: "x" }),
    );
    expect(badFrom).toMatchObject({ status: 400, code: 21212 });
    const tooLong = await refusal(
      h.client.messages.create({ to: CUSTOMER, from: AGENT, body: "x".repeat(1601) }),
    );
    expect(tooLong).toMatchObject({ status: 400, code: 21617 });
    expect(h.simulator.eventLog().messages).toHaveLength(0);

    const raw = await fetch(
      `${h.simulator.url}/2010-04-01/Accounts/${h.simulator.accountSid}/Messages.json`,
      {
        method: "POST",
        headers: {
          authorization: `Basic ${Buffer.from(`${h.simulator.accountSid}:${h.simulator.authToken}`).toString("base64")}`,
          "content-type": "application/x-www-form-urlencoded",
        },
        body: new URLSearchParams({ To: CUSTOMER, From: AGENT }).toString(),
      },
    );
    expect(raw.status).toBe(400);
    expect(await raw.json()).toEqual({
      code: 21602,
      message: "Message body is required.",
      more_info: "https://www.twilio.com/docs/errors/21602",
      status: 400,
    });
  });

  it("answers 404 with code 20404 for an unknown message", async () => {
    const error = await refusal(h.client.messages(`SM${"0".repeat(32)}`).fetch());
    expect(error).toMatchObject({ status: 404, code: 20404 });
  });

  it("reports queued → sent → delivered to the StatusCallback, signed", async () => {
    const message = await h.client.messages.create({
      to: CUSTOMER,
      from: AGENT,
      body: "Your callback is booked",
      statusCallback: `${h.receiver.url}/sms-status`,
    });
    const callbacks = await h.receiver.waitFor(3);
    expect(callbacks.map((callback) => callback.params.MessageStatus)).toEqual([
      "queued",
      "sent",
      "delivered",
    ]);
    for (const callback of callbacks) {
      expect(callback.params).toMatchObject({
        MessageSid: message.sid,
        SmsSid: message.sid,
        To: CUSTOMER,
        From: AGENT,
        AccountSid: h.simulator.accountSid,
      });
      expect(h.receiver.isSigned(callback, h.simulator.authToken)).toBe(true);
    }
    // The simulator logs a callback once its answer is back, which can be just after the
    // receiver has it.
    const deadline = Date.now() + 5_000;
    while (h.simulator.eventLog().callbacks.length < 3 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const logged = h.simulator.eventLog().callbacks;
    expect(logged.map((entry) => [entry.type, entry.messageSid, entry.status])).toEqual([
      ["message-status", message.sid, "queued"],
      ["message-status", message.sid, "sent"],
      ["message-status", message.sid, "delivered"],
    ]);
  });

  it("ends a message to a number ending 0002 undelivered with its ErrorCode", async () => {
    const message = await h.client.messages.create({
      to: "+15551230002",
      from: AGENT,
      body: "x",
      statusCallback: `${h.receiver.url}/sms-status`,
    });
    const [, , last] = await h.receiver.waitFor(3);
    expect(last?.params).toMatchObject({ MessageStatus: "undelivered", ErrorCode: "30003" });
    expect(await h.client.messages(message.sid).fetch()).toMatchObject({
      status: "undelivered",
      errorCode: 30003,
    });
  });

  it("accepts a Messaging Service as sender and picks the number later", async () => {
    const message = await h.client.messages.create({
      to: CUSTOMER,
      messagingServiceSid: SERVICE,
      body: "x",
    });
    expect(message).toMatchObject({ status: "accepted", from: null, messagingServiceSid: SERVICE });
    await expect
      .poll(async () => (await h.client.messages(message.sid).fetch()).status)
      .toBe("delivered");
    expect((await h.client.messages(message.sid).fetch()).from).toMatch(/^\+\d+$/);
    const bad = await refusal(
      h.client.messages.create({ to: CUSTOMER, messagingServiceSid: "MG1", body: "x" }),
    );
    expect(bad).toMatchObject({ status: 400, code: 21701 });
  });

  it("suffers the request faults a call does", async () => {
    const create = { method: "POST", path: "/Messages\\.json$" };
    h.simulator.injectFault({ kind: "429", match: create });
    expect(
      await refusal(h.client.messages.create({ to: CUSTOMER, from: AGENT, body: "x" })),
    ).toMatchObject({ status: 429, code: 20429 });
    h.simulator.injectFault({ kind: "error_after_create", match: create });
    expect(
      await refusal(h.client.messages.create({ to: CUSTOMER, from: AGENT, body: "y" })),
    ).toMatchObject({ status: 500, code: 20500 });
    // The answer was lost, yet the message was sent.
    expect(h.simulator.eventLog().messages.map((message) => message.body)).toEqual(["y"]);
  });
});
