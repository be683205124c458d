import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { promisify } from "node:util";
import { Hono } from "hono";
import { sql } from "kysely";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import type { AppEnv } from "../../src/api/context.ts";
import { metricsRoutes } from "../../src/api/routes/metrics.ts";
import { testDb } from "../support/database.ts";

const root = new URL("../../", import.meta.url);
const rulesPath = new URL("deploy/prometheus/alerts.yml", root);
const dashboardPath = new URL("deploy/grafana/switchboard.json", root);

interface Rules {
  groups: { name: string; rules: { alert?: string; record?: string; expr: string }[] }[];
}

interface Dashboard {
  templating: { list: { name: string; query?: string | { query: string } }[] };
  panels: { title: string; targets?: { expr: string }[] }[];
}

/** Label names by metric name, as the series of a real scrape show them. */
let exported = new Map<string, Set<string>>();

beforeAll(async () => {
  const { db, pool } = testDb();
  // One ending, one failed attempt and a live execution, so every series has its labels.
  await sql`
    with ended as (
      insert into executions (task_name, lane, status, payload, priority, max_attempts, attempts,
                              started_at, finished_at)
      values ('deploy_check', 'reports', 'dead', '{}', 3, 1, 1, now() - interval '1 s', now())
      returning id
    )
    insert into execution_attempts (execution_id, attempt, started_at, outcome, error_class)
    select id, 1, now(), 'failed', 'Boom' from ended`.execute(db);
  await sql`
    insert into executions (task_name, lane, status, payload, priority, max_attempts)
    values ('deploy_check', 'reports', 'queued', '{}', 3, 1)`.execute(db);
  const app = new Hono<AppEnv>().route("/", metricsRoutes({ pool }));
  const text = await (await app.request("/metrics")).text();
  exported = new Map();
  for (const line of text.split("\n")) {
    const match = /^(\w+)(?:\{(.*)\})? \S+$/.exec(line);
    if (!match) continue;
    const labels = exported.get(match[1] as string) ?? new Set<string>();
    for (const [, key] of (match[2] ?? "").matchAll(/(\w+)="/g)) labels.add(key as string);
    exported.set(match[1] as string, labels);
  }
});

/** Every `switchboard_*` metric an expression names, with the label names it matches on. */
function metricsIn(expr: string): { name: string; labels: string[] }[] {
  return [...expr.matchAll(/\b(switchboard_\w+)(\{[^}]*\})?/g)].map((match) => ({
    name: match[1] as string,
    labels: [...(match[2] ?? "").matchAll(/(\w+)\s*(?:=~|!~|!=|=)/g)].map((m) => m[1] as string),
  }));
}

function checkExpression(where: string, expr: string) {
  const used = metricsIn(expr);
  expect(used.length, `${where} names no Switchboard metric: ${expr}`).toBeGreaterThan(0);
  for (const { name, labels } of used) {
    expect(exported.has(name), `${where}: ${name} is not exported by /metrics`).toBe(true);
    for (const label of labels) {
      expect(exported.get(name)?.has(label), `${where}: ${name} has no label ${label}`).toBe(true);
    }
  }
}

describe("deploy/ monitoring files", () => {
  it("alert rules name only metrics and labels /metrics exports", async () => {
    const rules = parse(await readFile(rulesPath, "utf8")) as Rules;
    const all = rules.groups.flatMap((group) => group.rules);
    expect(all.length).toBeGreaterThanOrEqual(4);
    for (const rule of all) checkExpression(`alert ${rule.alert ?? rule.record}`, rule.expr);
    const names = new Set(all.flatMap((rule) => metricsIn(rule.expr).map((m) => m.name)));
    for (const needed of [
      "switchboard_workers",
      "switchboard_lane_backlog",
      "switchboard_tasks_total",
      "switchboard_task_duration_seconds_bucket",
    ]) {
      expect(names.has(needed), needed).toBe(true);
    }
  });

  it("the Grafana dashboard's panels and variables name only exported metrics", async () => {
    const dashboard = JSON.parse(await readFile(dashboardPath, "utf8")) as Dashboard;
    const targets = dashboard.panels.flatMap((panel) =>
      (panel.targets ?? []).map((target) => ({ panel: panel.title, expr: target.expr })),
    );
    expect(targets.length).toBeGreaterThanOrEqual(8);
    for (const { panel, expr } of targets) checkExpression(`panel ${panel}`, expr);
    for (const variable of dashboard.templating.list) {
      const query = typeof variable.query === "string" ? variable.query : variable.query?.query;
      if (query?.includes("label_values")) checkExpression(`variable ${variable.name}`, query);
    }
    const exprs = targets.map((target) => target.expr).join("\n");
    expect(exprs).toMatch(/histogram_quantile\(0\.95/);
    expect(exprs).toMatch(/histogram_quantile\(0\.5/);
    expect(exprs).toContain("switchboard_task_errors_total");
  });

  it("promtool accepts the rules, where promtool is installed", async () => {
    const run = promisify(execFile);
    const result = await run("promtool", ["check", "rules", rulesPath.pathname]).then(
      () => "ok",
      (error: { code?: number | string; stdout?: string; stderr?: string }) =>
        error.code === "ENOENT" ? "absent" : `${error.stdout ?? ""}${error.stderr ?? ""}`,
    );
    expect(["ok", "absent"]).toContain(result);
  });
});
