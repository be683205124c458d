/**
 * The HTTP API. Order matters: request id and logging first, then secure headers, the body
 * limit and the JSON depth limit, the open probes, the dashboard (its own session gate),
 * authentication (every route needs a bearer token or a dashboard session's cookie, except the
 * probes, the Twilio webhooks, and /metrics or the docs when configured open),
 * the per-token rate limit, and the resources, each its own router.
 */
import { OpenAPIHono } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import { requestId } from "hono/request-id";
import { secureHeaders } from "hono/secure-headers";
import type { CallCenterServices, TwilioService } from "../callCenter/services.ts";
import { dashboardRoutes } from "../dashboard/dashboardRoutes.ts";
import { defaultSessionLifetime, type SessionLifetime } from "../dashboard/sessions.ts";
import { createDb, type Pool } from "../database/pool.ts";
import type { CrontabEntry } from "../engine/crontab.ts";
import { defaultWorkerSilentAfterMs } from "../engine/fleet/workerAlive.ts";
import type { LaneName } from "../engine/lanes.ts";
import { parseRateLimit, type RateLimit } from "../engine/limits/rateLimit.ts";
import { TaskRegistry } from "../engine/registry.ts";
import { defaultHealthThresholds } from "../monitoring/health.ts";
import type { Logger } from "../observability/logger.ts";
import type { AppEnv } from "./context.ts";
import { errorBody, toErrorResponse, validationError } from "./errors.ts";
import { EventHub } from "./events/eventHub.ts";
import { authenticate, requireScope } from "./middleware/authenticate.ts";
import { bodyLimit } from "./middleware/bodyLimit.ts";
import { jsonDepthLimit } from "./middleware/jsonDepthLimit.ts";
import { rateLimitPerToken } from "./middleware/rateLimitPerToken.ts";
import { requestLogger } from "./middleware/requestLogger.ts";
import { agentRoutes } from "./routes/agents.ts";
import { alertRoutes } from "./routes/alerts.ts";
import { auditRoutes } from "./routes/audit.ts";
import { bulkActionRoutes } from "./routes/bulkActions.ts";
import { callRoutes } from "./routes/calls.ts";
import { campaignRoutes } from "./routes/campaigns.ts";
import { docsRoutes } from "./routes/docs.ts";
import { eventsRoutes } from "./routes/events.ts";
import { executionRoutes, taskStatusRoutes } from "./routes/executions.ts";
import { exportRoutes } from "./routes/exports.ts";
import { fleetRoutes } from "./routes/fleet.ts";
import { healthRoutes } from "./routes/health.ts";
import { mailRoutes } from "./routes/mail.ts";
import { metricsRoutes } from "./routes/metrics.ts";
import { probeRoutes } from "./routes/probes.ts";
import { purgeRoutes } from "./routes/purge.ts";
import { recordingRoutes } from "./routes/recordings.ts";
import { reportRoutes } from "./routes/reports.ts";
import { routingRoutes } from "./routes/routing.ts";
import { scheduleRoutes } from "./routes/schedule.ts";
import { taskRoutes } from "./routes/tasks.ts";
import { twilioCallQueueRoutes } from "./routes/twilioCallQueues.ts";
import { twilioWebhookRoutes } from "./routes/twilioWebhooks.ts";

export interface ApiSettings {
  /** Requests per token. */
  rateLimit: RateLimit;
  maxBodyBytes: number;
  metricsOpen: boolean;
  docsOpen: boolean;
  /** Most executions one bulk action may select. */
  bulkMaxBatch: number;
  /** A worker silent longer is not alive (see engine/fleet/workerAlive.ts). */
  silentAfterMs: number;
  laneConcurrency: Partial<Record<LaneName, number>>;
  /** How long a token verification is cached (revocation delay). */
  authCacheTtlMs: number;
  /** How long a dashboard session lasts, idle and at most. */
  sessionLifetime: SessionLifetime;
}

export const defaultApiSettings: ApiSettings = {
  rateLimit: parseRateLimit("600/m"),
  maxBodyBytes: 1024 * 1024,
  metricsOpen: false,
  docsOpen: false,
  bulkMaxBatch: 1000,
  silentAfterMs: defaultWorkerSilentAfterMs,
  laneConcurrency: {},
  authCacheTtlMs: 5_000,
  sessionLifetime: defaultSessionLifetime,
};

export interface AppDependencies {
  pool: Pool;
  logger: Logger;
  /** The tasks that can be executed by name and retried; default none. */
  registry?: TaskRegistry;
  settings?: Partial<ApiSettings>;
  /** Live events; the caller stops it on shutdown. Created (and started lazily) if absent. */
  hub?: EventHub;
  /**
   * Pool for the per-token rate limit's bucket writes, ideally with `synchronous_commit=off`
   * (a bucket write lost in a crash does no harm; waiting for its flush costs every request).
   * Default: `pool`.
   */
  rateLimitPool?: Pool;
  /**
   * Twilio's side of the webhooks (auth token, public URL). Without it, or without the
   * `process_webhook_callback` task in `registry`, the webhook routes are not served.
   */
  twilio?: Pick<TwilioService, "authToken" | "publicBaseUrl">;
  /** Serves recording media, reports, exports and the local mail sink's messages when given. */
  services?: CallCenterServices;
  /** The crontab's entries, listed by `GET /api/schedule`; default none. */
  schedule?: CrontabEntry[];
}

export function createApp({
  pool,
  logger,
  registry = new TaskRegistry([]),
  settings = {},
  hub,
  rateLimitPool = pool,
  twilio,
  services,
  schedule = [],
}: AppDependencies) {
  const s = { ...defaultApiSettings, ...settings };
  const db = createDb(pool);
  const app = new OpenAPIHono<AppEnv>({
    strict: false,
    defaultHook: (result) => {
      if (!result.success) throw validationError(result.error, result.target);
    },
  });
  app.use(requestId());
  app.use(requestLogger({ logger }));
  // A route's own value wins (the dashboard sets its Content-Security-Policy and Referrer-Policy).
  app.use(secureHeaders({ overwrite: false }));
  app.use(bodyLimit({ maxBytes: s.maxBodyBytes }));
  app.use(jsonDepthLimit());
  app.route("/", probeRoutes(pool));
  const processWebhookTask = registry.get("process_webhook_callback");
  if (twilio && processWebhookTask) {
    app.route("/", twilioWebhookRoutes({ db, twilio, processWebhookTask }));
  }
  if (twilio) app.route("/", twilioCallQueueRoutes({ db, twilio }));

  app.route(
    "/dashboard",
    dashboardRoutes({
      db,
      pool,
      logger,
      registry,
      ...(services ? { services } : {}),
      schedule,
      silentAfterMs: s.silentAfterMs,
      laneConcurrency: s.laneConcurrency,
      bulkMaxBatch: s.bulkMaxBatch,
      sessionLifetime: s.sessionLifetime,
    }),
  );

  const openPaths = ["/healthz", "/readyz", "/webhooks/*", "/dashboard/*"];
  if (s.metricsOpen) openPaths.push("/metrics");
  if (s.docsOpen) openPaths.push("/api/docs/*", "/api/openapi.json");
  app.use(
    authenticate({
      db,
      openPaths,
      cacheTtlMs: s.authCacheTtlMs,
      revocations: hub,
      sessions: s.sessionLifetime,
    }),
  );
  app.use(rateLimitPerToken({ db: createDb(rateLimitPool), rateLimit: s.rateLimit }));

  const read: MiddlewareHandler<AppEnv>[] = [requireScope("read")];
  if (!s.metricsOpen) app.use("/metrics", ...read);
  app.route("/", metricsRoutes({ pool, db, silentAfterMs: s.silentAfterMs }));
  app.use("/api/events", ...read);
  const eventHub = hub ?? new EventHub({ logger });
  app.route("/", eventsRoutes({ pool, hub: eventHub }));

  const api = new OpenAPIHono<AppEnv>({
    strict: false,
    defaultHook: (result) => {
      if (!result.success) throw validationError(result.error, result.target);
    },
  });
  api.route("/", taskStatusRoutes({ db, pool, hub: eventHub }));
  api.route(
    "/",
    healthRoutes({
      db,
      thresholds: { ...defaultHealthThresholds, silentAfterMs: s.silentAfterMs },
      laneConcurrency: s.laneConcurrency,
    }),
  );
  api.route("/", executionRoutes({ db, registry }));
  api.route("/", bulkActionRoutes({ db, registry, maxBatch: s.bulkMaxBatch }));
  api.route("/", purgeRoutes({ db }));
  api.route(
    "/",
    fleetRoutes({ db, silentAfterMs: s.silentAfterMs, laneConcurrency: s.laneConcurrency }),
  );
  api.route("/", taskRoutes({ db, registry }));
  api.route("/", callRoutes({ db, registry }));
  api.route("/", campaignRoutes({ db, registry }));
  api.route("/", agentRoutes({ db }));
  api.route("/", auditRoutes(db));
  api.route("/", alertRoutes({ db }));
  api.route("/", routingRoutes({ db }));
  api.route("/", scheduleRoutes({ db, entries: schedule, registry, services }));
  if (services) {
    api.route("/", recordingRoutes({ db, services }));
    api.route(
      "/",
      reportRoutes({
        db,
        registry,
        reporting: services.reporting,
        publicBaseUrl: services.twilio.publicBaseUrl,
      }),
    );
    api.route("/", exportRoutes({ db, registry, services }));
    api.route("/", mailRoutes({ email: services.email }));
  }
  app.route("/", api);
  app.route("/", docsRoutes(api, s.docsOpen ? [] : read));

  app.notFound((c) =>
    c.json(errorBody("not_found", `No route for ${c.req.method} ${c.req.path}`), 404),
  );
  app.onError(toErrorResponse);
  return app;
}

export type App = ReturnType<typeof createApp>;
