/** Dead letter: executions out of attempts, newest failure first; retry selected or all matching. */
import { Hono } from "hono";
import { html } from "hono/html";
import type { AppEnv } from "../../api/context.ts";
import { executionListDead } from "../../executions/queries.ts";
import type { DashboardDependencies } from "../dependencies.ts";
import { renderPage } from "../layout.ts";
import {
  errorPanel,
  executionTable,
  filterForm,
  listFields,
  parseListQuery,
} from "./executions.ts";

const PAGE_SIZE = 50;
// Every list filter but status: the dead letter holds dead executions only.
const deadFields = listFields.filter((field) => field !== "status");

export function deadLetterPage(deps: DashboardDependencies) {
  const app = new Hono<AppEnv>();
  app.get("/dead-letter", async (c) => {
    const query = parseListQuery(c, deadFields);
    const form = (params: Record<string, string>, boundedSince?: Date) =>
      filterForm(deps, params, {
        withStatus: false,
        boundedSince,
        action: "/dashboard/dead-letter",
      });
    if ("errors" in query) {
      return renderPage(c, {
        title: "Dead letter",
        nav: "dead-letter",
        status: 400,
        body: html`${form(query.params)}${errorPanel(query.errors)}`,
      });
    }
    const page = await executionListDead(deps.db, {
      filters: query.filters,
      limit: PAGE_SIZE,
      after: query.after,
    });
    return renderPage(c, {
      title: "Dead letter",
      nav: "dead-letter",
      scripts: ["executions.js"],
      styles: ["executions.css"],
      body: html`${form(query.params, query.boundedSince)}
        ${executionTable(c, page, query.params, {
          path: "/dashboard/dead-letter",
          actions: ["retry"],
          liveTask: query.filters.task_name,
          matchingStatus: "dead",
        })}`,
    });
  });
  return app;
}
