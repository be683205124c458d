/**
 * Reads the `crontab` file (graphile-worker's format) and checks that every line names a task
 * this process knows, so a typo fails at start-up instead of queueing jobs no worker runs.
 *
 * graphile-worker reads times in UTC. A line may add the option `tz=local` to be read in the
 * local time zone given (REPORT_TIMEZONE), or `tz=<IANA zone>` for another zone; such a line is
 * turned into a cron item whose matcher reads each UTC minute as that zone's wall-clock time,
 * with the DST rules of cronTimeZone.ts. The option is removed before graphile-worker parses the
 * line, so its other options (`id=`, `fill=`, …) and payload work as usual.
 *
 * @example
 * 0 2 * * * generate_daily_report ?tz=local        # 02:00 in REPORT_TIMEZONE, every day
 */
import { readFile } from "node:fs/promises";
import { type ParsedCronItem, parseCronItem, parseCrontab } from "graphile-worker";
import { isTimeZone } from "../shared/localDates.ts";
import {
  coversEveryHour,
  digestOf,
  firingInTimeZone,
  instantOfDigest,
  nextFiring,
} from "./cronTimeZone.ts";
import type { TaskRegistry } from "./registry.ts";

/** One line of the crontab. */
export interface CrontabEntry {
  identifier: string;
  task: string;
  /** The line's five time fields, as written. */
  schedule: string;
  /** The zone the fields are read in: `UTC`, or the zone of a `tz=` line. */
  timeZone: string;
  /** What graphile-worker schedules: for a line in local time, a matcher over UTC minutes. */
  item: ParsedCronItem;
  /** Whether the entry fires at the UTC minute starting at `instant` (ms since the epoch). */
  firesAt(instant: number): boolean;
}

export interface CrontabOptions {
  /** The zone `tz=local` stands for (REPORT_TIMEZONE); default UTC. */
  localTimeZone?: string;
  /** Names the file in errors. */
  source?: string;
}

/** A `?options` value as graphile-worker's query-string parser reads it. */
function decodedOption(value: string): string {
  try {
    return decodeURIComponent(value.replaceAll("+", " "));
  } catch {
    return value;
  }
}

const LINE = /^(\S+\s+\S+\s+\S+\s+\S+\s+\S+)(\s+\S+)(?:(\s+)\?(\S+))?(.*)$/;

/** Parses crontab text; throws naming the line when one cannot be read. */
export function parseCrontabEntries(text: string, options: CrontabOptions): CrontabEntry[] {
  const source = options.source ?? "crontab";
  const lines = text.split(/\r?\n/);
  const zones: (string | null)[] = [];
  const schedules: string[] = [];
  // graphile-worker parses the text without the `tz=` options; its line numbers stay the same.
  const stripped = lines.map((raw, index) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) return raw;
    const parts = LINE.exec(line);
    if (!parts) return raw; // graphile-worker names the line
    const [, fields = "", task = "", space = "", query, rest = ""] = parts;
    schedules.push(fields.split(/\s+/).join(" "));
    const kept: string[] = [];
    let zone: string | null = null;
    for (const option of query?.split("&") ?? []) {
      if (!option.startsWith("tz=")) {
        kept.push(option);
        continue;
      }
      const value = decodedOption(option.slice(3));
      if (value === "local") zone = options.localTimeZone ?? "UTC";
      else if (isTimeZone(value)) zone = value;
      else {
        throw new Error(
          `${source} line ${index + 1}: tz must be "local" or an IANA time zone such as Europe/Paris, got "${value}"`,
        );
      }
    }
    zones.push(zone);
    return `${fields}${task}${kept.length > 0 ? `${space}?${kept.join("&")}` : ""}${rest}`;
  });
  let items: ParsedCronItem[];
  try {
    items = parseCrontab(stripped.join("\n"));
  } catch (error) {
    throw new Error(`${source}: ${(error as Error).message}`);
  }
  return items.map((item, index) => {
    const schedule = schedules[index] ?? "";
    const zone = zones[index] ?? null;
    if (zone === null) {
      return {
        identifier: item.identifier,
        task: item.task,
        schedule,
        timeZone: "UTC",
        item,
        firesAt: (instant: number) => item.match(digestOf(instant)),
      };
    }
    const firesAt = firingInTimeZone(
      item.match,
      coversEveryHour(schedule.split(" ")[1] ?? ""),
      zone,
    );
    return {
      identifier: item.identifier,
      task: item.task,
      schedule,
      timeZone: zone,
      item: parseCronItem(
        {
          task: item.task,
          identifier: item.identifier,
          match: (digest) => firesAt(instantOfDigest(digest)),
          options: item.options,
          ...(item.payload ? { payload: item.payload } : {}),
        },
        `${source} (${item.identifier})`,
      ),
      firesAt,
    };
  });
}

/** The entry's next run at or after `from`, or null when none falls within a year. */
export function nextRunOf(entry: CrontabEntry, from: Date): Date | null {
  return nextFiring(entry.firesAt, from);
}

/** Reads and parses the crontab file (none: no entries) and checks its tasks against `registry`. */
export async function loadCrontab(
  file: string,
  registry: TaskRegistry,
  options: Omit<CrontabOptions, "source"> = {},
): Promise<CrontabEntry[]> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
  const entries = parseCrontabEntries(text, { ...options, source: file });
  for (const entry of entries) {
    if (!registry.get(entry.task)) {
      throw new Error(`${file}: unknown task "${entry.task}" (identifier ${entry.identifier})`);
    }
  }
  return entries;
}

/** The cron items graphile-worker schedules from the crontab file. */
export async function loadCronItems(
  file: string,
  registry: TaskRegistry,
  options: Omit<CrontabOptions, "source"> = {},
): Promise<ParsedCronItem[]> {
  return (await loadCrontab(file, registry, options)).map((entry) => entry.item);
}
