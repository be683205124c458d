import { sql } from "kysely";
import { beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { parseCrontabEntries } from "../../src/engine/crontab.ts";
import { enqueue } from "../../src/engine/enqueue.ts";
import { defineTask } from "../../src/engine/task.ts";
import { testApp } from "../support/app.ts";
import { dashboardSession } from "../support/dashboard.ts";
import { testDb } from "../support/database.ts";

const tidy = defineTask({
  name: "tidy_up",
  lane: "maintenance",
  payload: z.object({}),
  run: async () => null,
});
const entries = parseCrontabEntries("*/5 * * * * tidy_up\n0 2 * * * nightly_digest ?tz=local\n", {
  localTimeZone: "Europe/Paris",
});
let executionId: string;

beforeAll(async () => {
  const { db } = testDb();
  await sql`insert into graphile_worker._private_known_crontabs (identifier, known_since, last_execution)
            values ('tidy_up', now() - interval '1 hour', date_trunc('minute', now()) - interval '1 minute')`.execute(
    db,
  );
  executionId = await enqueue(db, tidy, {}, { correlationId: "crontab" });
});

const rowOf = (page: string, identifier: string) =>
  new RegExp(`<tr data-entry="${identifier}">([\\s\\S]*?)</tr>`).exec(page)?.[1] ?? "";

describe("the schedule page", () => {
  it("lists every entry with its next run and its last run's execution; no Run now for read", async () => {
    const session = await dashboardSession("read");
    const response = await testApp(undefined, { schedule: entries }).request(
      "/dashboard/schedule",
      { headers: session.headers },
    );
    expect(response.status).toBe(200);
    const page = await response.text();
    expect(page.match(/<tr data-entry=/g)).toHaveLength(2);
    const tidyRow = rowOf(page, "tidy_up");
    expect(tidyRow).toContain("*/5 * * * *");
    expect(tidyRow).toContain(`href="/dashboard/executions/${executionId}"`);
    expect(tidyRow).toContain("status-queued");
    const nightly = rowOf(page, "nightly_digest");
    expect(nightly).toContain("Europe/Paris");
    expect(nightly).toMatch(/T02:00:00\+0[12]:00/);
    expect(page).not.toContain("data-api-post");
    expect(page).not.toContain("Run now");
  });

  it("gives an operator Run now for each entry", async () => {
    const session = await dashboardSession("operate");
    const page = await (
      await testApp(undefined, { schedule: entries }).request("/dashboard/schedule", {
        headers: session.headers,
      })
    ).text();
    expect(rowOf(page, "tidy_up")).toContain('data-api-post="/api/schedule/tidy_up/run"');
    expect(rowOf(page, "nightly_digest")).toContain(
      'data-api-post="/api/schedule/nightly_digest/run"',
    );
    expect(page.match(/>Run now<\/button>/g)).toHaveLength(2);
  });
});
