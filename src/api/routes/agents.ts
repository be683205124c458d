/**
 * Agents' states over HTTP: an agent (or their desk software) says they are available, busy, in
 * wrap-up or offline. Each change is a timed event (src/calls/agentStates.ts); sending the same
 * change again, or a state the agent is already in, records nothing new.
 */
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { agentStates, recordAgentState } from "../../calls/agentStates.ts";
import type { Db } from "../../database/pool.ts";
import { isoTimestamp } from "../../database/storableTimestamp.ts";
import type { AppEnv } from "../context.ts";
import { ApiError } from "../errors.ts";
import { requireScope } from "../middleware/authenticate.ts";
import {
  body,
  errorResponses,
  json,
  jsonBodyErrorResponses,
  notFoundResponse,
} from "../openapi.ts";

export interface AgentRoutesDependencies {
  db: Db;
}

const AgentParam = z.object({
  id: z
    .string()
    .regex(/^\d{1,15}$/, "id must be an agent's id")
    .openapi({ param: { name: "id", in: "path" } }),
});

const AgentStateBody = z
  .strictObject({
    state: z.enum(agentStates, { error: `state must be one of ${agentStates.join(", ")}` }),
    started_at: isoTimestamp("started_at")
      .optional()
      .openapi({ description: "When the state starts (default: now); the change's identity" }),
  })
  .openapi("AgentStateChange");

const AgentStateSchema = z
  .object({
    agent_id: z.number().int(),
    state: z.enum(agentStates),
    recorded: z.boolean(),
    status: z.enum(agentStates),
  })
  .openapi("AgentState");

export function agentRoutes({ db }: AgentRoutesDependencies) {
  const app = new OpenAPIHono<AppEnv>();

  app.openapi(
    createRoute({
      method: "post",
      path: "/api/agents/{id}/state",
      summary: "Record a change of an agent's state (available, busy, wrap_up, offline)",
      tags: ["agents"],
      middleware: [requireScope("operate")] as const,
      request: { params: AgentParam, ...body(AgentStateBody) },
      responses: {
        200: json(AgentStateSchema, "The change and the agent's state after it"),
        ...errorResponses,
        ...jsonBodyErrorResponses,
        ...notFoundResponse,
      },
    }),
    async (c) => {
      const agentId = Number(c.req.valid("param").id);
      const input = c.req.valid("json");
      const recorded = await db.transaction().execute((trx) =>
        recordAgentState(trx, {
          agentId,
          state: input.state,
          startedAt: input.started_at === undefined ? undefined : new Date(input.started_at),
        }),
      );
      if (!recorded) throw new ApiError(404, "not_found", `No agent ${agentId}`);
      return c.json(
        {
          agent_id: agentId,
          state: input.state,
          recorded: recorded.recorded,
          status: recorded.status,
        },
        200,
      );
    },
  );

  return app;
}
