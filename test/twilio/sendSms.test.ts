import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { TwilioService } from "../../src/callCenter/services.ts";
import { PermanentError, SnoozeError } from "../../src/engine/errors.ts";
import { AmbiguousSmsError, sendSms } from "../../src/twilio/sendSms.ts";
import { INVALID_NUMBER } from "../../src/twilio/simulator/routes/messages.ts";
import type { TwilioSimulator } from "../../src/twilio/simulator/simulator.ts";
import { db } from "../support/engine.ts";
import { rejectionOf } from "../support/promises.ts";
import { startTestServices } from "../support/services.ts";

const CREATE = { method: "POST", path: "/Messages\\.json$" };
const CUSTOMER = "+15551234567";
let twilio: TwilioService;
let simulator: TwilioSimulator;

beforeAll(async () => {
  const started = await startTestServices();
  twilio = started.services.twilio;
  simulator = started.simulator;
});

beforeEach(async () => {
  simulator.reset();
  await db().deleteFrom("sms_messages").execute();
});

const row = (sendKey: string) =>
  db().selectFrom("sms_messages").selectAll().where("send_key", "=", sendKey).executeTakeFirst();

describe("sendSms", () => {
  it("sends through the SDK from the account's number and records the message", async () => {
    const sms = await sendSms(db(), twilio, { to: CUSTOMER, body: "Hello" }, { sendKey: "k1" });
    expect(sms).toMatchObject({ outcome: "sent", status: "queued" });
    expect(sms.sid).toMatch(/^SM[0-9a-f]{32}$/);
    expect(simulator.message(sms.sid)).toMatchObject({
      to: CUSTOMER,
      from: twilio.phoneNumber,
      body: "Hello",
    });
    expect(await row("k1")).toMatchObject({ sid: sms.sid, status: "queued", requests: 1 });
  });

  it("sends one message per send key, however often it is called", async () => {
    const first = await sendSms(db(), twilio, { to: CUSTOMER, body: "Once" }, { sendKey: "k2" });
    const again = await sendSms(db(), twilio, { to: CUSTOMER, body: "Once" }, { sendKey: "k2" });
    expect(again).toEqual({ sid: first.sid, status: "queued", outcome: "already_sent" });
    expect(simulator.eventLog().messages).toHaveLength(1);
  });

  it("adopts the message a request whose answer was lost created, instead of sending again", async () => {
    simulator.injectFault({ kind: "error_after_create", match: CREATE });
    const request = { to: CUSTOMER, body: "Lost answer" };
    const lost = await rejectionOf(sendSms(db(), twilio, request, { sendKey: "k3" }));
    expect(lost).toBeInstanceOf(AmbiguousSmsError);
    expect(await row("k3")).toMatchObject({ sid: null, requests: 1 });

    const retried = await sendSms(db(), twilio, request, { sendKey: "k3" });
    expect(retried.outcome).toBe("adopted");
    const sent = simulator.eventLog().messages;
    expect(sent.map((message) => message.sid)).toEqual([retried.sid]);
    expect((await row("k3"))?.sid).toBe(retried.sid);
  });

  it("sends again after a lost answer when Twilio has no such message", async () => {
    simulator.injectFault({ kind: "500", match: CREATE });
    const request = { to: CUSTOMER, body: "Not created" };
    await expect(sendSms(db(), twilio, request, { sendKey: "k4" })).rejects.toBeInstanceOf(
      AmbiguousSmsError,
    );
    const retried = await sendSms(db(), twilio, request, { sendKey: "k4" });
    expect(retried.outcome).toBe("sent");
    expect(simulator.eventLog().messages).toHaveLength(1);
    expect(await row("k4")).toMatchObject({ requests: 2 });
  });

  it("ends for good, naming the number, when Twilio refuses it (21211)", async () => {
    const refused = await rejectionOf<Error>(
      sendSms(db(), twilio, { to: INVALID_NUMBER, body: "x" }, { sendKey: "k5" }),
    );
    expect(refused).toBeInstanceOf(PermanentError);
    expect(refused.message).toContain(INVALID_NUMBER);
    expect(refused.message).toContain("21211");
    expect(await row("k5")).toMatchObject({ status: "rejected", error_code: 21211 });
    // Called again, it does not ask Twilio again.
    const requests = simulator.eventLog().requests.length;
    await expect(
      sendSms(db(), twilio, { to: INVALID_NUMBER, body: "x" }, { sendKey: "k5" }),
    ).rejects.toBeInstanceOf(PermanentError);
    expect(simulator.eventLog().requests).toHaveLength(requests);
  });

  it("snoozes on a rate limit without counting the request", async () => {
    simulator.injectFault({ kind: "429", match: CREATE, retryAfterSeconds: 2 });
    const snoozed = await rejectionOf<SnoozeError>(
      sendSms(db(), twilio, { to: CUSTOMER, body: "x" }, { sendKey: "k6" }),
    );
    expect(snoozed).toBeInstanceOf(SnoozeError);
    expect(snoozed.delayMs).toBe(2_000);
    expect(await row("k6")).toMatchObject({ requested_at: null, requests: 0, sid: null });
  });

  it("refuses numbers that are not E.164 and empty bodies, naming the field, writing nothing", async () => {
    const badTo = await rejectionOf<Error>(sendSms(db(), twilio, { to: "555-1234", body: "x" }));
    expect(badTo).toBeInstanceOf(PermanentError);
    expect(badTo.message).toMatch(/^to: .*E\.164/);
    const badFrom = await rejectionOf<Error>(
      sendSms(db(), twilio, { to: CUSTOMER, body: "x", from: "12" }),
    );
    expect(badFrom.message).toMatch(/^from: /);
    const empty = await rejectionOf<Error>(sendSms(db(), twilio, { to: CUSTOMER, body: "" }));
    expect(empty.message).toMatch(/^body: /);
    expect(await db().selectFrom("sms_messages").selectAll().execute()).toEqual([]);
    expect(simulator.eventLog().requests).toEqual([]);
  });
});
