/**
 * `/2010-04-01/Accounts/{AccountSid}/Messages`: send (create), fetch, list. Refusals carry
 * Twilio's codes: 21604 no `To`, 21211 a `To` that is not a phone number (or is Twilio's magic
 * invalid number, +15005550001), 21603 neither `From` nor `MessagingServiceSid`, 21212 a bad
 * `From`, 21602 no `Body`, 21617 a body over 1600 characters, 21701 a malformed
 * `MessagingServiceSid`, 21609 a bad `StatusCallback`.
 */
import { Hono } from "hono";
import type { SimulatorDependencies } from "../dependencies.ts";
import { notFound, TwilioApiError } from "../errors.ts";
import { type FormParams, isE164, isHttpUrl, readForm } from "../form.ts";
import { accountPath, messageJson, pageRequest, v2010Page } from "../resources.ts";
import { newSid, type SimulatedMessage } from "../state.ts";

/** Twilio's limit on one message's body, in characters. */
export const MAX_BODY_CHARACTERS = 1600;

const MESSAGING_SERVICE_SID = /^MG[0-9a-f]{32}$/;

/** Twilio's magic test number for "invalid To": well formed, refused with 21211. */
export const INVALID_NUMBER = "+15005550001";

function recipient(form: FormParams): string {
  const to = form.get("To")?.trim();
  if (!to) throw new TwilioApiError(400, 21604, "A 'To' phone number is required.");
  if (!isE164(to) || to === INVALID_NUMBER) {
    throw new TwilioApiError(400, 21211, `Invalid 'To' Phone Number: ${to}`);
  }
  return to;
}

function sender(form: FormParams): { from: string | null; messagingServiceSid: string | null } {
  const from = form.get("From")?.trim() || null;
  const messagingServiceSid = form.get("MessagingServiceSid")?.trim() || null;
  if (!from && !messagingServiceSid) {
    throw new TwilioApiError(400, 21603, "A 'From' or 'MessagingServiceSid' parameter is required");
  }
  if (from && !isE164(from)) {
    throw new TwilioApiError(400, 21212, `Invalid 'From' Phone Number: ${from}`);
  }
  if (messagingServiceSid && !MESSAGING_SERVICE_SID.test(messagingServiceSid)) {
    throw new TwilioApiError(
      400,
      21701,
      `The Messaging Service Sid ${messagingServiceSid} is invalid.`,
    );
  }
  return { from, messagingServiceSid };
}

function body(form: FormParams): string {
  const text = form.get("Body");
  if (!text) throw new TwilioApiError(400, 21602, "Message body is required.");
  if ([...text].length > MAX_BODY_CHARACTERS) {
    throw new TwilioApiError(
      400,
      21617,
      `The concatenated message body exceeds the ${MAX_BODY_CHARACTERS} character limit.`,
    );
  }
  return text;
}

function statusCallback(form: FormParams): string | undefined {
  const value = form.get("StatusCallback");
  if (value === undefined || value === "") return undefined;
  if (!isHttpUrl(value)) {
    throw new TwilioApiError(400, 21609, `StatusCallback is not a valid URL: ${value}`);
  }
  return value;
}

function newMessage(accountSid: string, form: FormParams): SimulatedMessage {
  const to = recipient(form);
  const { from, messagingServiceSid } = sender(form);
  const text = body(form);
  const now = Date.now();
  return {
    sid: newSid("SM"),
    accountSid,
    to,
    from,
    messagingServiceSid,
    body: text,
    // Through a Messaging Service without a sender, Twilio accepts first and picks one later.
    status: from === null ? "accepted" : "queued",
    statusCallback: statusCallback(form),
    errorCode: null,
    createdAt: now,
    updatedAt: now,
    sentAt: undefined,
  };
}

export function messageRoutes({ accountSid, state, log, messageLifecycle }: SimulatorDependencies) {
  const app = new Hono();

  app.post("/Messages.json", async (c) => {
    const message = newMessage(accountSid, await readForm(c));
    state.messages.set(message.sid, message);
    const { sid, to, from, body: text, createdAt } = message;
    log.messageCreated({ sid, to, from, body: text, createdAt });
    messageLifecycle.start(message);
    return c.json(messageJson(message), 201);
  });

  app.get("/Messages.json", (c) => {
    const filters: Record<string, string> = {};
    for (const name of ["To", "From"] as const) {
      const value = c.req.query(name);
      if (value) filters[name] = value;
    }
    const messages = [...state.messages.values()]
      .filter(
        (message) =>
          (!filters.To || message.to === filters.To) &&
          (!filters.From || message.from === filters.From),
      )
      .map(messageJson)
      .reverse();
    const path = `${accountPath(accountSid)}/Messages.json`;
    return c.json(v2010Page("messages", messages, path, filters, pageRequest(c.req.query())));
  });

  app.get("/Messages/:file", (c) => {
    const sid = /^(SM[0-9a-f]{32})\.json$/.exec(c.req.param("file"))?.[1];
    const message = sid ? state.messages.get(sid) : undefined;
    if (!message) throw notFound(c.req.path);
    return c.json(messageJson(message));
  });

  return app;
}
