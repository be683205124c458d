import { OpenAPIHono } from "@hono/zod-openapi";
import { requestId } from "hono/request-id";
import { secureHeaders } from "hono/secure-headers";
import type { Pool } from "../database/pool.ts";
import type { Logger } from "../observability/logger.ts";
import type { AppEnv } from "./context.ts";
import { errorBody, toErrorResponse, validationError } from "./errors.ts";
import { requestLogger } from "./middleware/requestLogger.ts";
import { probeRoutes } from "./routes/probes.ts";

export interface AppDependencies {
  pool: Pool;
  logger: Logger;
}

export function createApp({ pool, logger }: AppDependencies) {
  const app = new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) throw validationError(result.error, result.target);
    },
  });
  app.use(requestId());
  app.use(requestLogger({ logger }));
  app.use(secureHeaders());
  app.route("/", probeRoutes(pool));
  app.notFound((c) =>
    c.json(errorBody("not_found", `No route for ${c.req.method} ${c.req.path}`), 404),
  );
  app.onError(toErrorResponse);
  return app;
}

export type App = ReturnType<typeof createApp>;
