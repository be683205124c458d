/**
 * The simulator's HTTP app. Order: the request log, then credentials, then faults, then the
 * resources at Twilio's paths (`/2010-04-01/Accounts/{AccountSid}/…`, `/v2/Transcripts`).
 * The control API (`/__simulator/…`) has none of those.
 */
import { Hono, type MiddlewareHandler } from "hono";
import { basicAuth } from "./auth.ts";
import type { SimulatorDependencies } from "./dependencies.ts";
import { TwilioApiError, twilioError } from "./errors.ts";
import { applyFaults, type FaultVariables } from "./faults.ts";
import { callRoutes } from "./routes/calls.ts";
import { controlRoutes } from "./routes/control.ts";
import { messageRoutes } from "./routes/messages.ts";
import { recordingRoutes } from "./routes/recordings.ts";
import { transcriptRoutes } from "./routes/transcripts.ts";

function logRequests({ log, logger }: SimulatorDependencies): MiddlewareHandler<FaultVariables> {
  return async function logRequest(c, next) {
    const at = Date.now();
    await next();
    const entry = { at, method: c.req.method, path: c.req.path, status: c.res.status };
    const fault = c.get("fault");
    log.request(fault ? { ...entry, fault } : entry);
    logger.debug({ ...entry, fault, ms: Date.now() - at }, "simulator request");
  };
}

export function createSimulatorApp(deps: SimulatorDependencies) {
  const app = new Hono<FaultVariables>();
  app.route("/__simulator", controlRoutes(deps));

  const twilioPaths = ["/2010-04-01/*", "/v2/*"];
  for (const path of twilioPaths) {
    app.use(path, logRequests(deps));
    app.use(path, basicAuth(deps.accountSid, deps.authToken));
    app.use(path, applyFaults(deps.faults, deps.timers));
  }
  const account = `/2010-04-01/Accounts/${deps.accountSid}`;
  app.route(account, callRoutes(deps));
  app.route(account, messageRoutes(deps));
  app.route(account, recordingRoutes(deps));
  app.route("/v2", transcriptRoutes(deps));

  app.notFound((c) =>
    twilioError(c, 404, 20404, `The requested resource ${c.req.path} was not found`),
  );
  app.onError((error, c) => {
    if (error instanceof TwilioApiError)
      return twilioError(c, error.status, error.code, error.message);
    deps.logger.error({ err: error, path: c.req.path }, "simulator request failed");
    return twilioError(c, 500, 20500, "An internal server error has occurred");
  });
  return app;
}

export type SimulatorApp = ReturnType<typeof createSimulatorApp>;
