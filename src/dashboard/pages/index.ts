/** Every dashboard page's routes; each file is one page (or a page and its detail view). */
import type { Hono } from "hono";
import type { AppEnv } from "../../api/context.ts";
import type { DashboardDependencies } from "../dependencies.ts";
import { auditPage } from "./audit.ts";
import { callPage } from "./call.ts";
import { callsPage } from "./calls.ts";
import { campaignsPage } from "./campaigns.ts";
import { deadLetterPage } from "./deadLetter.ts";
import { executionPage } from "./execution.ts";
import { executionsPage } from "./executions.ts";
import { lanesPage } from "./lanes.ts";
import { overviewPage } from "./overview.ts";
import { reportsPage } from "./reports.ts";
import { schedulePage } from "./schedule.ts";
import { workersPage } from "./workers.ts";

export type DashboardPage = (deps: DashboardDependencies) => Hono<AppEnv>;

export const dashboardPages: DashboardPage[] = [
  overviewPage,
  executionsPage,
  executionPage,
  deadLetterPage,
  lanesPage,
  workersPage,
  schedulePage,
  callsPage,
  callPage,
  campaignsPage,
  reportsPage,
  auditPage,
];
