/** Every dashboard page's routes; each file is one page (or a page and its detail view). */
import type { Hono } from "hono";
import type { AppEnv } from "../../api/context.ts";
import type { DashboardDependencies } from "../dependencies.ts";
import { lanesPage } from "./lanes.ts";
import { overviewPage } from "./overview.ts";
import { schedulePage } from "./schedule.ts";
import { workersPage } from "./workers.ts";

export type DashboardPage = (deps: DashboardDependencies) => Hono<AppEnv>;

export const dashboardPages: DashboardPage[] = [overviewPage, lanesPage, workersPage, schedulePage];
