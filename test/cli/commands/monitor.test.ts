import { spawn } from "node:child_process";
import { sql } from "kysely";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { binPath, childEnv, runCli } from "../../support/cli.ts";
import { testDatabaseUrl, testDb } from "../../support/database.ts";

const env = () => ({ DATABASE_URL: testDatabaseUrl(), LOG_LEVEL: "silent" });
const ansi = "\x1b[";

beforeAll(async () => {
  const { db } = testDb();
  await sql`
    insert into workers (id, type, lanes, host, pid)
    values ('monitor-worker-1', 'realtime', '{realtime,webhooks}', 'box-7', 4242)`.execute(db);
  await sql`
    insert into executions (task_name, lane, status, payload, priority, max_attempts, attempts,
                            run_at, created_at, started_at, finished_at, error_class, error_message)
    values
      ('debug_task', 'realtime', 'succeeded', '{}', 0, 3, 1, now() - interval '1 day',
       now() - interval '1 day', now() - interval '1 day',
       now() - interval '1 day' + interval '2 seconds', null, null),
      ('debug_task', 'realtime', 'succeeded', '{}', 0, 3, 1, now() - interval '10 minutes',
       now() - interval '10 minutes', now() - interval '10 minutes',
       now() - interval '10 minutes' + interval '4 seconds', null, null),
      ('debug_task', 'realtime', 'dead', '{}', 0, 3, 3, now() - interval '5 minutes',
       now() - interval '5 minutes', now() - interval '5 minutes',
       now() - interval '5 minutes' + interval '1 second', 'GatewayDown', 'the gateway said no'),
      ('debug_task', 'realtime', 'running', '{}', 0, 3, 1, now() - interval '3 minutes',
       now() - interval '3 minutes', now() - interval '3 minutes', null, null, null),
      ('debug_task', 'reports', 'queued', '{}', 0, 3, 0, now() - interval '2 minutes',
       now() - interval '2 minutes', null, null, null, null)`.execute(db);
  await sql`
    insert into execution_attempts (execution_id, attempt, worker_id, started_at, finished_at,
                                    outcome, error_class, error_message)
    select id, 1, 'monitor-worker-1', started_at, finished_at, 'failed', error_class, error_message
    from executions where status = 'dead'`.execute(db);
  await sql`insert into lane_states (lane, paused) values ('reports', true)`.execute(db);
});

// The hand-made worker stays alive however long the file runs: its heartbeat is now.
beforeEach(async () => {
  await sql`update workers set last_seen_at = now() where id = 'monitor-worker-1'`.execute(
    testDb().db,
  );
});

describe("switchboard monitor", () => {
  it("prints health with its reasons and the lanes without a flag, plain without a terminal", async () => {
    const shown = await runCli(["monitor"], env());
    expect(shown.stderr).toBe("");
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/^HEALTH {2}DEGRADED/);
    expect(shown.stdout).toContain("lane reports: 1 jobs waiting and no live worker serves it");
    expect(shown.stdout).toMatch(/\nrealtime +0 +0 +0 +1 +- +1 +no\n/);
    expect(shown.stdout).toMatch(/\nreports +1 +0 +0 +0 +\dm\d\ds +0 +paused\n/);
    expect(shown.stdout).not.toContain(ansi);
  });

  it("--health alone omits the lanes; --json is one document", async () => {
    const health = await runCli(["monitor", "--health"], env());
    expect(health.code).toBe(0);
    expect(health.stdout).toContain("workers alive: 1 (realtime 1)");
    expect(health.stdout).not.toContain("LANES");
    const json = await runCli(["monitor", "--json"], env());
    const parsed = JSON.parse(json.stdout) as {
      health: { status: string; open_alerts: unknown[] };
      queues: { lanes: { lane: string; paused: boolean; queued: number }[] };
    };
    expect(parsed.health.status).toBe("degraded");
    expect(parsed.health.open_alerts).toEqual([]);
    expect(parsed.queues.lanes.find((lane) => lane.lane === "reports")).toMatchObject({
      paused: true,
      queued: 1,
    });
  });

  it("--slow lists running executions over the threshold", async () => {
    const over = await runCli(["monitor", "--slow", "--threshold", "60"], env());
    expect(over.code).toBe(0);
    expect(over.stdout).toMatch(/RUNNING OVER 60s\n.*\n\S+ +debug_task +realtime +- +3m\d\ds\n/);
    const under = await runCli(["monitor", "--slow", "--threshold", "600", "--json"], env());
    expect((JSON.parse(under.stdout) as { running: unknown[] }).running).toEqual([]);
  });

  it("--failures groups failures by task and error class and lists dead executions", async () => {
    const failures = await runCli(["monitor", "--failures", "--hours", "2"], env());
    expect(failures.code).toBe(0);
    expect(failures.stdout).toContain("FAILURES IN THE LAST 2 H");
    expect(failures.stdout).toMatch(/debug_task +GatewayDown +1 +100\.0% /);
    expect(failures.stdout).toMatch(
      /RECENT DEAD EXECUTIONS\n.*\n.*debug_task .* 3\/3 +GatewayDown: the gateway said no/,
    );
  });

  it("--task shows recent executions, rates, durations and the trend per day", async () => {
    const task = await runCli(["monitor", "--task", "debug_task", "--days", "3"], env());
    expect(task.code).toBe(0);
    expect(task.stdout).toContain(
      "last 5 executions, 3 ended: 2 succeeded, 1 dead (success rate 66.7%), duration p50 2.0s, p95 3.8s",
    );
    const json = await runCli(["monitor", "--task", "debug_task", "--days", "3", "--json"], env());
    const parsed = JSON.parse(json.stdout) as {
      trend: { day: string; executions: number; succeeded: number; dead: number }[];
    };
    const { rows } = await sql<{ day: string }>`
      select to_char(finished_at at time zone 'UTC', 'YYYY-MM-DD') as day
      from executions where status = 'dead'`.execute(testDb().db);
    expect(parsed.trend).toHaveLength(3);
    expect(parsed.trend.reduce((sum, day) => sum + day.executions, 0)).toBe(3);
    expect(parsed.trend.find((day) => day.day === rows[0]?.day)?.dead).toBe(1);
    expect(parsed.trend.at(-1)?.day).toBe(new Date().toISOString().slice(0, 10));
  });

  it("refuses unknown tasks, conflicting flags and bad numbers, naming them", async () => {
    const unknown = await runCli(["monitor", "--task", "no_such_task"], env());
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('--task: unknown task "no_such_task"');
    const both = await runCli(["monitor", "--slow", "--failures"], env());
    expect(both.code).not.toBe(0);
    expect(both.stderr).toContain("--slow and --failures cannot be combined");
    const stray = await runCli(["monitor", "--hours", "3"], env());
    expect(stray.code).not.toBe(0);
    expect(stray.stderr).toContain("--hours goes with --failures");
    const bad = await runCli(["monitor", "--slow", "--threshold", "soon"], env());
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain("--threshold");
    const days = await runCli(["monitor", "--task", "debug_task", "--days", "3661"], env());
    expect(days.code).not.toBe(0);
    expect(days.stderr).toContain("--days");
  });

  it("NO_COLOR leaves no escape codes on a terminal; colour is used otherwise", async () => {
    const run = (extra: Record<string, string>) => underTerminal("monitor --health", extra, 0);
    expect((await run({})).output).toContain(ansi);
    expect((await run({ NO_COLOR: "1" })).output).not.toContain(ansi);
  });

  it("--watch redraws on a terminal and leaves on q, restoring the screen", async () => {
    const watched = await underTerminal("monitor --watch --interval 0.5", {}, 2);
    expect(watched.code).toBe(0);
    expect(watched.output.startsWith("\x1b[?1049h")).toBe(true);
    expect(watched.output.match(/switchboard monitor/g)?.length).toBeGreaterThanOrEqual(2);
    expect(watched.output).toContain("DEGRADED");
    // The frame is cut to the terminal's 24 rows: the workers' heading is on the last one.
    expect(watched.output).toContain("WORKERS");
    expect(watched.output.trimEnd().endsWith("\x1b[?25h\x1b[?1049l")).toBe(true);
  });

  it("--watch --json prints a JSON line per refresh", async () => {
    const lines = await watchLines(["monitor", "--watch", "--json", "--interval", "0.3"], 2);
    expect(lines).toHaveLength(2);
    for (const line of lines) {
      const frame = JSON.parse(line) as { health: { status: string }; workers: unknown[] };
      expect(frame.health.status).toBe("degraded");
      expect(frame.workers).toHaveLength(1);
    }
  });

  it("--watch keeps refreshing while the database is unreachable", async () => {
    const lines = await watchLines(["monitor", "--watch", "--json", "--interval", "0.3"], 2, {
      DATABASE_URL: "postgres://postgres@127.0.0.1:1/none",
    });
    for (const line of lines) {
      expect((JSON.parse(line) as { error: string }).error).toMatch(/^database unreachable: /);
    }
  });
});

/**
 * Runs the CLI under a pseudo-terminal (util-linux `script`); once `frames` frames are drawn,
 * types `q`. With 0 frames the command is expected to end by itself.
 */
function underTerminal(
  args: string,
  extra: Record<string, string>,
  frames: number,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      "script",
      ["-qfec", `${process.execPath} ${binPath} ${args}`, "/dev/null"],
      {
        env: childEnv({ ...env(), ...extra }),
      },
    );
    let output = "";
    let typed = false;
    child.stdout.on("data", (chunk) => {
      output += chunk;
      if (!typed && frames > 0 && (output.match(/switchboard monitor/g)?.length ?? 0) >= frames) {
        typed = true;
        child.stdin.write("q");
      }
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, output }));
  });
}

/** The first `count` lines of a watch without a terminal; then the watch is stopped. */
function watchLines(args: string[], count: number, extra: Record<string, string> = {}) {
  return new Promise<string[]>((resolve, reject) => {
    const child = spawn(process.execPath, [binPath, ...args], {
      env: childEnv({ ...env(), ...extra }),
    });
    let output = "";
    child.stdout.on("data", (chunk) => {
      output += chunk;
      const lines = output.split("\n").slice(0, -1);
      if (lines.length >= count) {
        child.kill("SIGTERM");
        resolve(lines.slice(0, count));
      }
    });
    child.on("error", reject);
    child.on("close", (code) => reject(new Error(`exited ${code} early:\n${output}`)));
  });
}
