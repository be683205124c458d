/**
 * Overview: the fleet's health at a glance. The verdict and its reasons (as
 * `GET /api/tasks/health`), open alerts, executions ended over the last hour, day or week (from
 * the per-minute rollups, never the ledger), each lane's backlog and the live workers per type.
 */
import { Hono } from "hono";
import { html } from "hono/html";
import { alertList } from "../../alerts/alertList.ts";
import type { AppEnv } from "../../api/context.ts";
import {
  executionThroughput,
  type ThroughputWindow,
  throughputWindows,
} from "../../monitoring/executionThroughput.ts";
import { checkHealth, defaultHealthThresholds } from "../../monitoring/health.ts";
import { laneList } from "../../monitoring/lanes.ts";
import { chartColors, timeSeriesChart } from "../charts.ts";
import type { DashboardDependencies } from "../dependencies.ts";
import { formatCount, formatDuration, statusBadge, timeCell } from "../format.ts";
import { renderPage } from "../layout.ts";
import { laneTable } from "./lanes.ts";

const windowLabels: Record<ThroughputWindow, string> = {
  "1h": "Last hour",
  "24h": "Last 24 hours",
  "7d": "Last 7 days",
};

const bucketWords: Record<ThroughputWindow, string> = {
  "1h": "per minute",
  "24h": "per hour",
  "7d": "per 6 hours",
};

function isWindow(value: string | undefined): value is ThroughputWindow {
  return (throughputWindows as readonly string[]).includes(value ?? "");
}

export function overviewPage(deps: DashboardDependencies) {
  const app = new Hono<AppEnv>();
  const thresholds = { ...defaultHealthThresholds, silentAfterMs: deps.silentAfterMs };

  app.get("/", async (c) => {
    const asked = c.req.query("window");
    const window: ThroughputWindow = isWindow(asked) ? asked : "1h";
    const [health, alerts, throughput, lanes] = await Promise.all([
      checkHealth(deps.db, thresholds),
      alertList(deps.db, { status: "open", limit: 10 }),
      executionThroughput(deps.db, { window }),
      laneList(deps.db, deps.laneConcurrency),
    ]);
    const { totals, buckets } = throughput;
    const ended = totals.succeeded + totals.dead;
    const successRate = ended === 0 ? null : totals.succeeded / ended;
    const byType = Object.entries(health.workers?.by_type ?? {}).sort(([a], [b]) =>
      a.localeCompare(b),
    );
    const backlog = lanes.reduce((sum, lane) => sum + lane.waiting, 0);
    const bucketMs = throughput.bucketMinutes * 60_000;

    const body = html`
<section class="panel" aria-labelledby="health-heading" id="health">
  <h2 id="health-heading">Health ${statusBadge(health.status)}</h2>
  ${
    health.reasons.length === 0
      ? html`<p class="muted">Every check passes.</p>`
      : html`<ul class="reasons">${health.reasons.map((reason) => html`<li>${reason}</li>`)}</ul>`
  }
  <p class="muted">Checked ${timeCell(health.checked_at)}${
    health.database
      ? html` · database round trip ${formatDuration(health.database.latency_ms)}`
      : ""
  }</p>
</section>

<section aria-labelledby="alerts-heading" id="alerts">
  <h2 id="alerts-heading">Open alerts</h2>
  ${
    alerts.alerts.length === 0
      ? html`<p class="muted">No open alerts.</p>`
      : html`<table>
    <thead><tr><th scope="col">Severity</th><th scope="col">Condition</th><th scope="col">Summary</th><th scope="col">Since</th><th scope="col">Last seen</th></tr></thead>
    <tbody>${alerts.alerts.map(
      (alert) => html`<tr>
      <td>${statusBadge(alert.severity)}</td>
      <td class="mono">${alert.condition}${alert.instance_key ? html` · ${alert.instance_key}` : ""}</td>
      <td>${alert.summary}</td>
      <td>${timeCell(alert.started_at)}</td>
      <td>${timeCell(alert.last_seen_at)}</td>
    </tr>`,
    )}</tbody>
  </table>`
  }
</section>

<section aria-labelledby="throughput-heading" id="throughput">
  <h2 id="throughput-heading">Executions ended · ${windowLabels[window]}</h2>
  <nav class="actions" aria-label="Time window">
    ${throughputWindows.map(
      (option) =>
        html`<a class="button${option === window ? " primary" : ""}" href="/dashboard?window=${option}"${
          option === window ? html` aria-current="page"` : ""
        }>${windowLabels[option]}</a>`,
    )}
  </nav>
  <div class="cards">
    <div class="card"><div class="figure" data-figure="succeeded">${formatCount(totals.succeeded)}</div><div class="label">succeeded</div></div>
    <div class="card"><div class="figure" data-figure="failed">${formatCount(totals.dead)}</div><div class="label">failed (dead)</div></div>
    <div class="card"><div class="figure" data-figure="cancelled">${formatCount(totals.cancelled + totals.expired)}</div><div class="label">cancelled or expired</div></div>
    <div class="card"><div class="figure" data-figure="success-rate">${
      successRate === null ? "—" : `${(successRate * 100).toFixed(1)}%`
    }</div><div class="label">success rate</div></div>
    <div class="card"><div class="figure" data-figure="backlog">${formatCount(backlog)}</div><div class="label">jobs waiting</div></div>
    <div class="card"><div class="figure" data-figure="workers">${formatCount(health.workers?.alive ?? 0)}</div><div class="label">workers alive</div></div>
  </div>
  <div class="panel">
    ${timeSeriesChart({
      title: `Executions ended ${bucketWords[window]}, succeeded and failed, ${windowLabels[window].toLowerCase()}`,
      starts: buckets.map((bucket) => bucket.start),
      bucketMs,
      series: [
        { label: "succeeded", color: chartColors.ok, values: buckets.map((b) => b.succeeded) },
        { label: "failed", color: chartColors.bad, values: buckets.map((b) => b.dead) },
      ],
    })}
    <details>
      <summary>The figures as a table</summary>
      <table>
        <thead><tr><th scope="col">From (UTC)</th><th scope="col" class="num">Succeeded</th><th scope="col" class="num">Failed</th><th scope="col" class="num">Cancelled or expired</th></tr></thead>
        <tbody>${buckets
          .filter((b) => b.succeeded + b.dead + b.cancelled + b.expired > 0)
          .map(
            (b) =>
              html`<tr><td>${timeCell(b.start)}</td><td class="num">${formatCount(b.succeeded)}</td><td class="num">${formatCount(b.dead)}</td><td class="num">${formatCount(b.cancelled + b.expired)}</td></tr>`,
          )}</tbody>
      </table>
    </details>
  </div>
</section>

<section aria-labelledby="lanes-heading" id="lanes">
  <h2 id="lanes-heading"><a href="/dashboard/lanes">Lanes</a></h2>
  ${laneTable(lanes, false)}
</section>

<section aria-labelledby="workers-heading" id="workers">
  <h2 id="workers-heading"><a href="/dashboard/workers">Workers alive</a></h2>
  ${
    byType.length === 0
      ? html`<p class="muted">No worker is alive.</p>`
      : html`<table>
    <thead><tr><th scope="col">Worker type</th><th scope="col" class="num">Alive</th></tr></thead>
    <tbody>${byType.map(([type, alive]) => html`<tr><td>${type}</td><td class="num" data-worker-type="${type}">${formatCount(alive)}</td></tr>`)}</tbody>
  </table>`
  }
</section>`;
    return renderPage(c, {
      title: "Overview",
      nav: "overview",
      body,
      scripts: ["overview.js"],
      styles: ["charts.css"],
    });
  });
  return app;
}
