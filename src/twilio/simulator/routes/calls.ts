/** `/2010-04-01/Accounts/{AccountSid}/Calls`: create, fetch, update (hang up, redirect), list. */
import { Hono } from "hono";
import type { SimulatorDependencies } from "../dependencies.ts";
import { notFound, TwilioApiError } from "../errors.ts";
import { booleanParam, type FormParams, httpMethod, isE164, isHttpUrl, readForm } from "../form.ts";
import { accountPath, callJson, pageRequest, v2010Page } from "../resources.ts";
import { finalCallStatuses, newSid, type SimulatedCall } from "../state.ts";

const callbackEvents = new Set(["initiated", "ringing", "answered", "completed"]);

function phoneNumber(form: FormParams, name: "To" | "From"): string {
  const value = form.get(name)?.trim();
  if (!value) {
    throw new TwilioApiError(
      400,
      name === "To" ? 21201 : 21213,
      `No '${name}' number is specified`,
    );
  }
  if (!isE164(value)) {
    throw new TwilioApiError(
      400,
      name === "To" ? 21211 : 21212,
      `The '${name}' number ${value} is not a valid phone number.`,
    );
  }
  return value;
}

function optionalUrl(form: FormParams, name: string, code: number): string | undefined {
  const value = form.get(name);
  if (value === undefined || value === "") return undefined;
  if (!isHttpUrl(value))
    throw new TwilioApiError(400, code, `${name} is not a valid URL: ${value}`);
  return value;
}

/** StatusCallbackEvent may repeat, or list several events separated by spaces. */
function statusCallbackEvents(form: FormParams): Set<string> {
  const events = form.all("StatusCallbackEvent").flatMap((value) => value.split(/[\s,]+/));
  const chosen = new Set(events.filter(Boolean).map((event) => event.toLowerCase()));
  for (const event of chosen) {
    if (!callbackEvents.has(event)) {
      throw new TwilioApiError(400, 20001, `StatusCallbackEvent ${event} is not valid`);
    }
  }
  return chosen.size > 0 ? chosen : new Set(["completed"]);
}

function newCall(accountSid: string, form: FormParams): SimulatedCall {
  const to = phoneNumber(form, "To");
  const from = phoneNumber(form, "From");
  const url = optionalUrl(form, "Url", 21205);
  const twiml = form.get("Twiml");
  if (!url && !twiml) {
    throw new TwilioApiError(400, 21205, "A 'Url' or 'Twiml' parameter is required");
  }
  const now = Date.now();
  return {
    sid: newSid("CA"),
    accountSid,
    to,
    from,
    status: "queued",
    url,
    twiml,
    statusCallback: optionalUrl(form, "StatusCallback", 21609),
    statusCallbackMethod: httpMethod(form.get("StatusCallbackMethod"), "StatusCallbackMethod"),
    statusCallbackEvents: statusCallbackEvents(form),
    record: booleanParam(form.get("Record")),
    recordingChannels: form.get("RecordingChannels") === "dual" ? 2 : 1,
    recordingStatusCallback: optionalUrl(form, "RecordingStatusCallback", 21609),
    recordingStatusCallbackMethod: httpMethod(
      form.get("RecordingStatusCallbackMethod"),
      "RecordingStatusCallbackMethod",
    ),
    createdAt: now,
    updatedAt: now,
    startedAt: undefined,
    answeredAt: undefined,
    endedAt: undefined,
    durationSeconds: undefined,
  };
}

export function callRoutes({ accountSid, state, log, lifecycle }: SimulatorDependencies) {
  const app = new Hono();
  const sidOf = (file: string | undefined, path: string) => {
    const sid = /^(CA[0-9a-f]{32})\.json$/.exec(file ?? "")?.[1];
    const call = sid ? state.calls.get(sid) : undefined;
    if (!call) throw notFound(path);
    return call;
  };

  app.post("/Calls.json", async (c) => {
    const call = newCall(accountSid, await readForm(c));
    state.calls.set(call.sid, call);
    log.callCreated({ sid: call.sid, to: call.to, from: call.from, createdAt: call.createdAt });
    lifecycle.start(call);
    return c.json(callJson(call), 201);
  });

  app.get("/Calls.json", (c) => {
    const filters: Record<string, string> = {};
    for (const name of ["To", "From", "Status"] as const) {
      const value = c.req.query(name);
      if (value) filters[name] = value;
    }
    const calls = [...state.calls.values()]
      .map(callJson)
      .filter(
        (call) =>
          (!filters.To || call.to === filters.To) &&
          (!filters.From || call.from === filters.From) &&
          (!filters.Status || call.status === filters.Status),
      )
      .reverse();
    const path = `${accountPath(accountSid)}/Calls.json`;
    return c.json(v2010Page("calls", calls, path, filters, pageRequest(c.req.query())));
  });

  app.get("/Calls/:file", (c) => c.json(callJson(sidOf(c.req.param("file"), c.req.path))));

  app.post("/Calls/:file", async (c) => {
    const call = sidOf(c.req.param("file"), c.req.path);
    const form = await readForm(c);
    const status = form.get("Status");
    const url = optionalUrl(form, "Url", 21205);
    const twiml = form.get("Twiml");
    const statusCallback = optionalUrl(form, "StatusCallback", 21609);
    if (status !== undefined && status !== "completed" && status !== "canceled") {
      throw new TwilioApiError(400, 21218, `Status must be completed or canceled, not ${status}`);
    }
    if ((url || twiml) && finalCallStatuses.has(call.status)) {
      throw new TwilioApiError(400, 21220, "Call is not in-progress. Cannot redirect.");
    }
    if (url || twiml) {
      call.url = url;
      call.twiml = twiml;
      call.updatedAt = Date.now();
    }
    if (statusCallback) call.statusCallback = statusCallback;
    if (status) lifecycle.hangUp(call, status);
    return c.json(callJson(call));
  });

  return app;
}
