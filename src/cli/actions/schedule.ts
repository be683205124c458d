/** What `switchboard schedule` runs: the same list as `GET /api/schedule`. */
import { tasks } from "../../../tasks/index.ts";
import { loadCrontab } from "../../engine/crontab.ts";
import { TaskRegistry } from "../../engine/registry.ts";
import { type ScheduleEntryView, scheduleList } from "../../monitoring/schedule.ts";
import { withRuntime } from "../runtime.ts";
import { alignedTable } from "../table.ts";

/** `2026-03-08T03:00:00-04:00` → `2026-03-08 03:00 -04:00`: minutes are the schedule's grain. */
const shortLocal = (iso: string) => `${iso.slice(0, 10)} ${iso.slice(11, 16)} ${iso.slice(19)}`;
const shortUtc = (iso: string) => `${iso.slice(0, 10)} ${iso.slice(11, 16)}Z`;

function table(entries: ScheduleEntryView[]): string {
  return alignedTable(
    [
      "TASK",
      "SCHEDULE",
      "TIME ZONE",
      "NEXT RUN (LOCAL)",
      "NEXT RUN (UTC)",
      "LAST RUN (LOCAL)",
      "EXECUTION",
      "STATUS",
    ],
    entries.map((entry) => [
      entry.identifier === entry.task ? entry.task : `${entry.task} (${entry.identifier})`,
      entry.schedule,
      entry.time_zone,
      entry.next_run ? shortLocal(entry.next_run.local) : "-",
      entry.next_run ? shortUtc(entry.next_run.at) : "-",
      entry.last_run ? shortLocal(entry.last_run.local) : "never",
      entry.last_run?.execution?.id ?? "-",
      entry.last_run?.execution?.status ?? (entry.last_run ? "pending" : "-"),
    ]),
  );
}

export function printSchedule(options: { json: boolean }): Promise<void> {
  return withRuntime(
    "cli",
    { migrate: false, exitWhenDone: true },
    async ({ config, database }) => {
      const entries = await loadCrontab(config.crontabFile, new TaskRegistry(tasks), {
        localTimeZone: config.reportTimeZone,
      });
      const list = await scheduleList(database.db, entries);
      process.stdout.write(options.json ? `${JSON.stringify({ entries: list })}\n` : table(list));
    },
  );
}
