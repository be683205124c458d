/**
 * `monitor --watch`: health and its reasons, lanes, workers, recent failures and open alerts,
 * read again every interval. On a terminal the frame is redrawn in place (see monitorScreen.ts)
 * until `q` or Ctrl-C; otherwise each frame is printed after the last, with a separator line,
 * or as one JSON line with --json. A read that fails (the database down) is shown in the frame
 * and retried at the next interval.
 */
import type { Db } from "../../database/pool.ts";
import type { HealthThresholds } from "../../monitoring/health.ts";
import { colourWanted, type Palette, palette } from "../colour.ts";
import type { Lifecycle } from "../lifecycle.ts";
import { failuresText, healthText, queuesText, workersText } from "./monitorFormat.ts";
import { failuresRead, healthRead, queuesRead, workersRead } from "./monitorReads.ts";
import { openScreen } from "./monitorScreen.ts";

const failureHours = 24;
const recentDead = 5;

async function snapshot(db: Db, thresholds: HealthThresholds, timeoutMs: number) {
  const reads = Promise.all([
    healthRead(db, thresholds),
    queuesRead(db, thresholds),
    workersRead(db, thresholds),
    failuresRead(db, failureHours, recentDead),
  ]);
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`no answer within ${timeoutMs / 1000} s`)),
      timeoutMs,
    );
  });
  try {
    const [health, queues, workers, failures] = await Promise.race([reads, late]);
    return { health, queues, workers, failures };
  } finally {
    clearTimeout(timer);
  }
}

type Snapshot = Awaited<ReturnType<typeof snapshot>>;

function frameText(
  at: Date,
  result: { ok: Snapshot } | { error: string },
  intervalMs: number,
  paint: Palette,
  keys: boolean,
): string {
  const title = `${paint.bold("switchboard monitor")}  ${at.toISOString().slice(0, 19)}Z  every ${intervalMs / 1000}s${keys ? "  q: quit" : ""}`;
  if ("error" in result) {
    return `${title}\n\n${paint.red("database unreachable")}: ${result.error}\n(retrying every ${intervalMs / 1000}s)\n`;
  }
  const { health, queues, workers, failures } = result.ok;
  return [
    title,
    "",
    healthText(health, paint),
    queuesText(queues, paint),
    workersText(workers, paint),
    failuresText(failures, paint),
  ].join("\n");
}

export async function watch(options: {
  db: Db;
  thresholds: HealthThresholds;
  intervalMs: number;
  json: boolean;
  lifecycle: Lifecycle;
}): Promise<void> {
  const { db, thresholds, intervalMs, json, lifecycle } = options;
  let quit: () => void = () => {};
  const quitting = new Promise<void>((resolve) => {
    quit = resolve;
  });
  let stopped = false;
  void quitting.then(() => {
    stopped = true;
  });
  const onTerminal = !json && !!process.stdout.isTTY;
  const paint = palette(onTerminal && colourWanted(process.stdout));
  const screen = onTerminal ? openScreen(process.stdout, process.stdin, quit) : undefined;
  // A signal stops a one-shot command only once it has started: the watch never returns on its
  // own, so it counts as started, and a stop leaves the loop and puts the terminal back.
  lifecycle.onStop(() => {
    quit();
    screen?.restore();
  });
  lifecycle.started();
  const timeoutMs = Math.max(intervalMs, 5000);
  try {
    let first = true;
    while (!stopped) {
      const at = new Date();
      const result = await snapshot(db, thresholds, timeoutMs).then(
        (ok) => ({ ok }),
        (error: Error) => ({ error: error.message || String(error) }),
      );
      if (stopped) break;
      if (json) {
        const line =
          "ok" in result
            ? { at: at.toISOString(), ...result.ok }
            : { at: at.toISOString(), error: `database unreachable: ${result.error}` };
        process.stdout.write(`${JSON.stringify(line)}\n`);
      } else if (screen) {
        screen.draw(frameText(at, result, intervalMs, paint, true));
      } else {
        if (!first) process.stdout.write(`${"-".repeat(72)}\n`);
        process.stdout.write(frameText(at, result, intervalMs, paint, false));
      }
      first = false;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        quitting,
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, intervalMs);
        }),
      ]);
      clearTimeout(timer);
    }
  } finally {
    screen?.restore();
  }
}
