/**
 * `GET /metrics` in the Prometheus text format. Every value is read from Postgres when scraped
 * (queries in `src/monitoring/metricsQueries.ts`), so any number of API processes report the
 * same truth. Counters and the run-time histogram come from totals the database keeps as
 * executions end (migration 0024): they never go down, retention included, and a scrape reads
 * no finished execution. Each app owns its registry: nothing goes to prom-client's global one, and the
 * default process metrics are left out.
 */
import { Hono } from "hono";
import {
  Counter,
  Gauge,
  Histogram,
  type HistogramConfiguration,
  type LabelValues,
  type MetricObjectWithValues,
  type MetricValueWithName,
  Registry,
} from "prom-client";
import { createDb, type Db, type Pool } from "../../database/pool.ts";
import { liveStatuses, terminalStatuses } from "../../engine/executionStatus.ts";
import { defaultWorkerSilentAfterMs } from "../../engine/fleet/workerAlive.ts";
import { laneNames, workerTypes } from "../../engine/lanes.ts";
import {
  laneOldestWaiting,
  lanePauseStates,
  liveExecutionCounts,
  RUN_SECONDS_BUCKETS,
  taskEndingCounts,
  taskErrorCounts,
  taskRunSeconds,
  workerCountsByType,
} from "../../monitoring/metricsQueries.ts";
import type { AppEnv } from "../context.ts";

export interface MetricsDependencies {
  pool: Pool;
  /** Defaults to a Kysely handle over `pool`. */
  db?: Db;
  /** `WORKER_SILENT_AFTER_MS`: a worker silent longer is not counted alive. */
  silentAfterMs?: number;
}

export function metricsRoutes({
  pool,
  db = createDb(pool),
  silentAfterMs = defaultWorkerSilentAfterMs,
}: MetricsDependencies) {
  const metrics = new SwitchboardMetrics(silentAfterMs);
  // Scrapes that arrive while one is running share its result: one set of queries at a time.
  let scraping: Promise<string> | undefined;
  return new Hono<AppEnv>().get("/metrics", async (c) => {
    scraping ??= metrics.scrape(db).finally(() => {
      scraping = undefined;
    });
    const body = await scraping;
    return c.body(body, 200, { "Content-Type": metrics.registry.contentType });
  });
}

/** The registry and its metrics; `scrape` refills them from one snapshot of the database. */
class SwitchboardMetrics {
  readonly registry = new Registry();
  readonly #registers = [this.registry];
  readonly #silentAfterMs: number;

  constructor(silentAfterMs: number) {
    this.#silentAfterMs = silentAfterMs;
    this.#workers = new Gauge({
      name: "switchboard_workers",
      help: `Worker processes not stopped and heard from within ${silentAfterMs / 1000} s.`,
      labelNames: ["type"] as const,
      registers: this.#registers,
    });
  }

  readonly #tasks = new Counter({
    name: "switchboard_tasks_total",
    help: "Executions ended, by terminal status (succeeded, dead, cancelled, expired).",
    labelNames: ["lane", "task", "status"] as const,
    registers: this.#registers,
  });

  readonly #duration = new PrecomputedHistogram({
    name: "switchboard_task_duration_seconds",
    help: "Run time of ended executions that started, from the start of their last attempt to their end.",
    labelNames: ["lane", "task"] as const,
    buckets: [...RUN_SECONDS_BUCKETS],
    registers: this.#registers,
  });

  readonly #errors = new Counter({
    name: "switchboard_task_errors_total",
    help: "Failed attempts (failed, timed out, cancelled or abandoned) by error class.",
    labelNames: ["lane", "task", "error_class"] as const,
    registers: this.#registers,
  });

  readonly #backlog = new Gauge({
    name: "switchboard_lane_backlog",
    help: "Live executions by status: queued, scheduled (due or not), running, retrying.",
    labelNames: ["lane", "status"] as const,
    registers: this.#registers,
  });

  readonly #oldestWaiting = new Gauge({
    name: "switchboard_lane_oldest_waiting_seconds",
    help: "How long the longest-waiting due execution of the lane has waited; 0 when none waits.",
    labelNames: ["lane"] as const,
    registers: this.#registers,
  });

  readonly #paused = new Gauge({
    name: "switchboard_lane_paused",
    help: "1 when the lane is paused, else 0.",
    labelNames: ["lane"] as const,
    registers: this.#registers,
  });

  readonly #workers: Gauge<"type">;

  readonly #workerRunningJobs = new Gauge({
    name: "switchboard_worker_running_jobs",
    help: "Jobs running on live worker processes, as of their last heartbeat.",
    labelNames: ["type"] as const,
    registers: this.#registers,
  });

  async scrape(db: Db): Promise<string> {
    // One read-only snapshot, so the metrics of a scrape agree with each other.
    const [endings, runs, errors, live, oldest, pauses, workers] = await db
      .transaction()
      .setIsolationLevel("repeatable read")
      .setAccessMode("read only")
      .execute((trx) =>
        Promise.all([
          taskEndingCounts(trx),
          taskRunSeconds(trx),
          taskErrorCounts(trx),
          liveExecutionCounts(trx),
          laneOldestWaiting(trx),
          lanePauseStates(trx),
          workerCountsByType(trx, this.#silentAfterMs),
        ]),
      );

    this.#tasks.reset();
    // Every terminal status of a lane and task seen, so each series exists from its first end.
    for (const pair of new Set(endings.map((row) => `${row.lane}\u0000${row.task}`))) {
      const [lane, task] = pair.split("\u0000") as [string, string];
      for (const status of terminalStatuses) this.#tasks.inc({ lane, task, status }, 0);
    }
    for (const { lane, task, status, count } of endings) {
      this.#tasks.inc({ lane, task, status }, count);
    }

    this.#duration.replace(
      runs.map(({ lane, task, buckets, sum, count }) => ({
        labels: { lane, task },
        buckets,
        sum,
        count,
      })),
    );

    this.#errors.reset();
    for (const { lane, task, errorClass, count } of errors) {
      this.#errors.inc({ lane, task, error_class: errorClass }, count);
    }

    const lanes = new Set<string>([
      ...laneNames,
      ...live.map((row) => row.lane),
      ...pauses.map((row) => row.lane),
    ]);
    const liveCount = new Map(live.map((row) => [`${row.lane}\u0000${row.status}`, row.count]));
    const oldestByLane = new Map(oldest.map((row) => [row.lane, row.oldestWaitingSeconds]));
    const pausedLanes = new Set(pauses.filter((row) => row.paused).map((row) => row.lane));
    for (const gauge of [this.#backlog, this.#oldestWaiting, this.#paused]) gauge.reset();
    for (const lane of lanes) {
      for (const status of liveStatuses) {
        this.#backlog.set({ lane, status }, liveCount.get(`${lane}\u0000${status}`) ?? 0);
      }
      this.#oldestWaiting.set({ lane }, oldestByLane.get(lane) ?? 0);
      this.#paused.set({ lane }, pausedLanes.has(lane) ? 1 : 0);
    }

    const workersByType = new Map(workers.map((row) => [row.type, row]));
    this.#workers.reset();
    this.#workerRunningJobs.reset();
    for (const type of new Set<string>([...workerTypes, ...workersByType.keys()])) {
      this.#workers.set({ type }, workersByType.get(type)?.alive ?? 0);
      this.#workerRunningJobs.set({ type }, workersByType.get(type)?.runningJobs ?? 0);
    }

    return this.registry.metrics();
  }
}

interface HistogramSeries<T extends string> {
  labels: LabelValues<T>;
  /** Cumulative counts, one per bucket bound. */
  buckets: number[];
  sum: number;
  count: number;
}

/**
 * A histogram whose buckets are computed elsewhere (in SQL) rather than observed one value at a
 * time. It prints the usual `_bucket{le}`, `_sum` and `_count` lines for what `replace` set.
 */
class PrecomputedHistogram<T extends string> extends Histogram<T> {
  readonly #name: string;
  readonly #help: string;
  readonly #bounds: number[];
  #series: HistogramSeries<T>[] = [];

  constructor(config: HistogramConfiguration<T> & { buckets: number[] }) {
    super(config);
    this.#name = config.name;
    this.#help = config.help;
    this.#bounds = config.buckets;
  }

  replace(series: HistogramSeries<T>[]): void {
    this.#series = series;
  }

  override async get(): Promise<MetricObjectWithValues<MetricValueWithName<T>>> {
    return this.getForPromString();
  }

  /** What the registry prints (prom-client's `Histogram` prefers this method to `get`). */
  async getForPromString(): Promise<MetricObjectWithValues<MetricValueWithName<T>>> {
    const name = this.#name;
    const values = this.#series.flatMap(({ labels, buckets, sum, count }) => [
      ...this.#bounds.map((le, index) => ({
        metricName: `${name}_bucket`,
        labels: { ...labels, le } as LabelValues<T>,
        value: buckets[index] ?? count,
      })),
      {
        metricName: `${name}_bucket`,
        labels: { ...labels, le: "+Inf" } as LabelValues<T>,
        value: count,
      },
      { metricName: `${name}_sum`, labels, value: sum },
      { metricName: `${name}_count`, labels, value: count },
    ]);
    // prom-client's typings declare `type` as a numeric enum; at run time it is this string.
    const metric = { name, help: this.#help, type: "histogram", values, aggregator: "sum" };
    return metric as unknown as MetricObjectWithValues<MetricValueWithName<T>>;
  }
}
