/**
 * The simulator's own control API (not Twilio's), for tests and manual use:
 * - `GET /__simulator/log`: calls and messages created, transitions, requests, callbacks, and
 *   `stats`;
 * - `GET /__simulator/faults`: faults still queued;
 * - `POST /__simulator/faults`: queue one fault or an array of them (see faults.ts);
 * - `DELETE /__simulator/faults`: drop the queued faults;
 * - `POST /__simulator/reset`: forget calls, messages, recordings, transcripts, faults and the log.
 */
import { Hono } from "hono";
import { z } from "zod";
import type { SimulatorDependencies } from "../dependencies.ts";
import { faultSchema } from "../faults.ts";

const faultsBody = z.array(faultSchema).min(1);

export function controlRoutes({ faults, log, reset }: SimulatorDependencies) {
  const app = new Hono();

  app.get("/log", (c) => c.json(log.snapshot()));

  app.get("/faults", (c) => c.json({ faults: faults.pending() }));

  app.post("/faults", async (c) => {
    const body = await c.req.json().catch(() => undefined);
    const many = Array.isArray(body);
    const parsed = faultsBody.safeParse(many ? body : [body]);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const field = (many ? issue?.path : issue?.path.slice(1))?.join(".") || "body";
      return c.json({ error: `${field}: ${issue?.message ?? "expected a fault"}` }, 400);
    }
    for (const fault of parsed.data) faults.add(fault);
    return c.json({ faults: faults.pending() }, 201);
  });

  app.delete("/faults", (c) => {
    faults.clear();
    return c.body(null, 204);
  });

  app.post("/reset", (c) => {
    reset();
    return c.body(null, 204);
  });

  return app;
}
