/**
 * Charts drawn on the server as inline SVG: no chart library and no script, and only SVG
 * attributes (the Content-Security-Policy forbids inline styles). Each chart is an image with a
 * `<title>` and a `<desc>` for screen readers; pages put the figures beside it as a table.
 *
 * @example
 * timeSeriesChart({
 *   title: "Executions ended per minute",
 *   starts: buckets.map((b) => b.start),
 *   bucketMs: 60_000,
 *   series: [{ label: "succeeded", color: chartColors.ok, values: buckets.map((b) => b.succeeded) }],
 * });
 */
import { html } from "hono/html";
import { formatCount } from "./format.ts";

export const chartColors = { ok: "#1a7f37", bad: "#cf222e", accent: "#1f4e79" } as const;

export interface ChartSeries {
  label: string;
  color: string;
  /** One value per bucket, in the order of `starts`. */
  values: number[];
}

export interface TimeSeriesChartOptions {
  title: string;
  /** Each bucket's start, oldest first. */
  starts: Date[];
  bucketMs: number;
  series: ChartSeries[];
  width?: number;
  height?: number;
}

/** The step of `ticks` or so ticks from 0 past `max`: 1, 2 or 5 times a power of ten, at least 1. */
export function tickStep(max: number, ticks = 4): number {
  if (!(max > 0)) return 1;
  const rough = max / ticks;
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= rough) ?? 10 * power;
  return Math.max(1, step);
}

/** `17:05` for minute and hour buckets, `12-06 18:00` for longer ones (UTC). */
function timeLabel(start: Date, bucketMs: number): string {
  const iso = start.toISOString();
  return bucketMs > 3_600_000 ? `${iso.slice(5, 10)} ${iso.slice(11, 16)}` : iso.slice(11, 16);
}

let chartCount = 0;

/** Stacked bars per time bucket (one colour per series), with labelled axes and a legend. */
export function timeSeriesChart(options: TimeSeriesChartOptions) {
  const { starts, bucketMs, series, width = 960, height = 260 } = options;
  const id = `chart-${++chartCount}`;
  const margin = { top: 12, right: 16, bottom: 30, left: 48 };
  const plotWidth = width - margin.left - margin.right;
  const plotHeight = height - margin.top - margin.bottom;
  const n = Math.max(1, starts.length);
  const stacks = Array.from({ length: n }, (_, index) =>
    series.reduce((sum, s) => sum + (s.values[index] ?? 0), 0),
  );
  const max = Math.max(0, ...stacks);
  const step = tickStep(max);
  const top = Math.max(step, Math.ceil(max / step) * step);
  const slot = plotWidth / n;
  const barWidth = Math.max(1, slot * 0.7);
  const x = (index: number) => margin.left + index * slot;
  const y = (value: number) => margin.top + plotHeight - (value / top) * plotHeight;
  const yTicks = Array.from({ length: Math.round(top / step) + 1 }, (_, i) => i * step);
  const every = Math.max(1, Math.ceil(n / 6));
  const xTicks = starts.flatMap((start, index) => (index % every === 0 ? [{ start, index }] : []));
  const totals = series.map(
    (s) => `${formatCount(s.values.reduce((a, b) => a + b, 0))} ${s.label}`,
  );
  const first = starts[0];
  const last = starts[starts.length - 1];
  const description =
    first && last
      ? `${totals.join(", ")} from ${first.toISOString().slice(0, 16)}Z to ${new Date(last.getTime() + bucketMs).toISOString().slice(0, 16)}Z, at most ${formatCount(max)} in one bucket.`
      : "No data.";
  const bars = starts.map((start, index) => {
    let base = 0;
    return series.map((s) => {
      const value = s.values[index] ?? 0;
      if (value <= 0) return "";
      const from = base;
      base += value;
      return html`<rect x="${(x(index) + (slot - barWidth) / 2).toFixed(1)}" y="${y(base).toFixed(1)}"
        width="${barWidth.toFixed(1)}" height="${(y(from) - y(base)).toFixed(1)}" fill="${s.color}"><title>${timeLabel(start, bucketMs)}: ${formatCount(value)} ${s.label}</title></rect>`;
    });
  });
  return html`<figure class="chart">
  <svg viewBox="0 0 ${width} ${height}" role="img" aria-labelledby="${id}-title ${id}-desc"
       font-size="12" fill="currentColor">
    <title id="${id}-title">${options.title}</title>
    <desc id="${id}-desc">${description}</desc>
    <g class="y-axis">
      ${yTicks.map(
        (
          tick,
        ) => html`<line x1="${margin.left}" x2="${width - margin.right}" y1="${y(tick)}" y2="${y(tick)}"
          stroke="currentColor" stroke-opacity="${tick === 0 ? 0.6 : 0.15}"></line>
        <text x="${margin.left - 6}" y="${y(tick) + 4}" text-anchor="end">${formatCount(tick)}</text>`,
      )}
    </g>
    <g class="x-axis">
      ${xTicks.map(
        ({
          start,
          index,
        }) => html`<line x1="${x(index)}" x2="${x(index)}" y1="${margin.top + plotHeight}"
          y2="${margin.top + plotHeight + 4}" stroke="currentColor" stroke-opacity="0.6"></line>
        <text x="${x(index)}" y="${height - 10}" text-anchor="start">${timeLabel(start, bucketMs)}</text>`,
      )}
      <text x="${width - margin.right}" y="${height - 10}" text-anchor="end" fill-opacity="0.7">UTC</text>
    </g>
    <g class="bars">${bars}</g>
  </svg>
  <figcaption class="legend">
    ${series.map(
      (s) =>
        html`<span class="legend-item"><svg class="swatch" viewBox="0 0 14 10" width="14" height="10" aria-hidden="true"><rect width="14" height="10" rx="2" fill="${s.color}"></rect></svg> ${s.label}</span>`,
    )}
  </figcaption>
</figure>`;
}
