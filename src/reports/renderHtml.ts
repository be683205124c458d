/**
 * A report as one self-contained HTML page (inline style, no scripts, nothing fetched): its key
 * figures, the comparison with the previous period, and a table per section. Every value from
 * the database — call queue, agent and campaign names above all — goes through hono/html's
 * escaping `html` template.
 */
import { html, raw } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";
import type { FigureKind } from "./figureNames.ts";
import { callQueueFigureKinds } from "./figureNames.ts";
import { comparedFigures, type ReportContent } from "./reportContent.ts";
import { type KeyName, type ReportSection, reportSections } from "./reportSections.ts";

type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

const figureLabels: Record<string, string> = {
  offered: "Offered",
  answered: "Answered",
  abandoned: "Abandoned",
  shortAbandoned: "Short abandons",
  abandonmentRate: "Abandonment rate",
  serviceLevel: "Service level",
  averageSpeedOfAnswerSeconds: "Avg speed of answer",
  longestWaitSeconds: "Longest wait",
  averageHandleTimeSeconds: "Avg handle time",
  talkSeconds: "Talk",
  holdSeconds: "Hold",
  wrapUpSeconds: "Wrap-up",
  handled: "Handled",
  availableSeconds: "Available",
  busySeconds: "Busy",
  wrapUpStateSeconds: "In wrap-up",
  loggedInSeconds: "Logged in",
  occupancy: "Occupancy",
  utilization: "Utilization",
  dialed: "Dialed",
  connected: "Connected",
  connectRate: "Connect rate",
  "outcomes.completed": "Completed",
  "outcomes.busy": "Busy",
  "outcomes.no-answer": "No answer",
  "outcomes.failed": "Failed",
  "outcomes.voicemail": "Voicemail",
  stored: "Stored",
  transcribed: "Transcribed",
};

const keyLabels: Record<KeyName, string> = {
  period: "Period",
  callQueue: "Call queue",
  agent: "Agent",
  campaign: "Campaign",
};

const counts = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });

/** A figure as people read it: counts grouped, rates in percent, durations in (h:)m:ss. */
export function formatFigure(value: number | null | undefined, kind: FigureKind): string {
  if (value === null || value === undefined) return "—";
  switch (kind) {
    case "count":
      return counts.format(value);
    case "rate":
      return `${(value * 100).toFixed(1)}%`;
    case "seconds":
      return formatSeconds(value);
  }
}

/** Durations as contact-center dashboards show them: `m:ss`, or `h:mm:ss` from an hour. */
function formatSeconds(seconds: number): string {
  const whole = Math.round(Math.abs(seconds));
  const h = Math.floor(whole / 3600);
  const m = Math.floor((whole % 3600) / 60);
  const s = String(whole % 60).padStart(2, "0");
  const sign = seconds < 0 && whole > 0 ? "-" : "";
  return h > 0 ? `${sign}${h}:${String(m).padStart(2, "0")}:${s}` : `${sign}${m}:${s}`;
}

function formatChange(value: number | null, kind: FigureKind): string {
  if (value === null) return "—";
  const sign = value > 0 ? "+" : value < 0 ? "−" : "±";
  const size = Math.abs(value);
  if (kind === "rate") return `${sign}${(size * 100).toFixed(1)} pp`;
  return `${sign}${formatFigure(size, kind)}`;
}

const style = `
body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;margin:2em;color:#1b1f23}
h1{font-size:1.5em;margin:0 0 .2em}h2{font-size:1.15em;margin:1.6em 0 .4em}
.meta{color:#57606a;margin:0 0 1.2em}
.cards{display:flex;flex-wrap:wrap;gap:.8em}
.card{border:1px solid #d0d7de;border-radius:6px;padding:.6em .9em;min-width:10em}
.card .label{color:#57606a;font-size:.85em}.card .value{font-size:1.4em;font-weight:600}
.card .change{color:#57606a;font-size:.85em}
table{border-collapse:collapse;margin:.3em 0 1em}
th,td{border:1px solid #d0d7de;padding:.25em .6em;text-align:right;white-space:nowrap}
th{background:#f6f8fa}td.key,th.key{text-align:left}
.empty{color:#57606a;font-style:italic}
`;

export function renderReportHtml(content: ReportContent, generatedAt: Date): string {
  const page = html`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${content.title}</title>
<style>${raw(style)}</style>
</head>
<body>
<h1>${content.title}</h1>
<p class="meta">${content.range.from} to ${content.range.to} (time zone ${content.timeZone}) · generated ${generatedAt.toISOString()}</p>
${keyFigures(content)}
${content.reportType === "agent" ? "" : comparison(content)}
${reportSections(content).map(sectionTable)}
</body>
</html>
`;
  // Only a Promise among the values makes the template asynchronous, and none is given.
  if (page instanceof Promise) throw new Error("the report page rendered asynchronously");
  return page.toString();
}

function card(label: string, value: string, change?: string): Html {
  return html`<div class="card"><div class="label">${label}</div><div class="value">${value}</div>${
    change === undefined ? "" : html`<div class="change">${change}</div>`
  }</div>`;
}

export interface KeyFigure {
  label: string;
  value: string;
  /** The change from the previous period, e.g. `+12 vs the previous day`. */
  change?: string;
}

/** The figures a report leads with (its page's cards, its email's summary), formatted. */
export function reportKeyFigures(content: ReportContent): {
  heading: string;
  figures: KeyFigure[];
} {
  if (content.reportType === "agent") {
    const t = content.total;
    return {
      heading: content.agent.name,
      figures: [
        { label: "Handled", value: formatFigure(t.handled, "count") },
        { label: "Avg handle time", value: formatFigure(t.averageHandleTimeSeconds, "seconds") },
        { label: "Occupancy", value: formatFigure(t.occupancy, "rate") },
        { label: "Utilization", value: formatFigure(t.utilization, "rate") },
        { label: "Logged in", value: formatFigure(t.loggedInSeconds, "seconds") },
      ],
    };
  }
  const shown = [
    "offered",
    "answered",
    "abandonmentRate",
    "serviceLevel",
    "averageSpeedOfAnswerSeconds",
    "averageHandleTimeSeconds",
  ] as const;
  return {
    heading: "Key figures",
    figures: [
      ...shown.map((name) => {
        const kind = callQueueFigureKinds[name];
        return {
          label: figureLabels[name] ?? name,
          value: formatFigure(content.inbound.total[name], kind),
          change: `${formatChange(content.comparison[name].change, kind)} vs ${content.previous.label}`,
        };
      }),
      {
        label: "Campaign calls dialed",
        value: formatFigure(sum(content.campaigns.map((c) => c.dialed)), "count"),
      },
      { label: "Recordings stored", value: formatFigure(content.recordings.stored, "count") },
    ],
  };
}

function keyFigures(content: ReportContent): Html {
  const { heading, figures } = reportKeyFigures(content);
  return html`<h2>${heading}</h2><div class="cards">${figures.map((figure) =>
    card(figure.label, figure.value, figure.change),
  )}</div>`;
}

function sum(values: number[]): number {
  return values.reduce((total, value) => total + value, 0);
}

function comparison(
  content: Extract<ReportContent, { reportType: "daily" | "weekly" | "monthly" }>,
): Html {
  return html`<h2>Compared with ${content.previous.label}</h2>
<table><thead><tr><th class="key">Figure</th><th>This period</th><th>${content.previous.label}</th><th>Change</th></tr></thead>
<tbody>${comparedFigures.map((name) => {
    const kind = callQueueFigureKinds[name];
    const row = content.comparison[name];
    return html`<tr><td class="key">${figureLabels[name] ?? name}</td><td>${formatFigure(row.current, kind)}</td><td>${formatFigure(row.previous, kind)}</td><td>${formatChange(row.change, kind)}</td></tr>`;
  })}</tbody></table>`;
}

function keyCell(key: KeyName, keys: ReportSection["rows"][number]["keys"]): string {
  switch (key) {
    case "period":
      return keys.period ?? "—";
    case "callQueue":
      return keys.callQueue ?? "(no call queue)";
    case "agent":
      return keys.agent ?? "—";
    case "campaign":
      if (keys.campaign) return keys.campaign;
      return keys.campaignId === null || keys.campaignId === undefined
        ? "Outside any campaign"
        : `Campaign ${keys.campaignId}`;
  }
}

function keyCells(section: ReportSection, keys: ReportSection["rows"][number]["keys"]): Html[] {
  return section.keys.map((key) => html`<td class="key">${keyCell(key, keys)}</td>`);
}

function sectionTable(section: ReportSection): Html {
  const figures = Object.entries(section.figures);
  if (section.rows.length === 0) {
    return html`<h2>${section.title}</h2><p class="empty">Nothing in this period.</p>`;
  }
  return html`<h2>${section.title}</h2>
<table><thead><tr>${section.keys.map((key) => html`<th class="key">${keyLabels[key]}</th>`)}${figures.map(
    ([name]) => html`<th>${figureLabels[name] ?? name}</th>`,
  )}</tr></thead>
<tbody>${section.rows.map(
    (row) =>
      html`<tr>${keyCells(section, row.keys)}${figures.map(
        ([name, kind]) => html`<td>${formatFigure(row.values[name], kind)}</td>`,
      )}</tr>`,
  )}</tbody></table>`;
}
