/** What `switchboard generate-calls` runs. */
import { generateHistory } from "../../callCenter/history/generateHistory.ts";
import { maxCallsPerDay } from "../../callCenter/history/historyPlan.ts";
import { yesterdayIn } from "../../reports/defaultPeriods.ts";
import type { GenerateCallsFlags } from "../commands/generateCalls.ts";
import { withRuntime } from "../runtime.ts";

const oneShot = { migrate: false, exitWhenDone: true };

export function generateCalls(flags: GenerateCallsFlags): Promise<void> {
  const most = maxCallsPerDay(flags.agents);
  if (flags.callsPerDay > most) {
    process.stderr.write(
      `switchboard: option '--calls-per-day <n>' argument '${flags.callsPerDay}' is invalid. ${flags.agents} agents can take at most ${most} calls a day; raise --agents\n`,
    );
    process.exitCode = 1;
    return Promise.resolve();
  }
  return withRuntime("cli", oneShot, async ({ config, database }) => {
    const timeZone = config.reportTimeZone;
    const started = Date.now();
    let reported = 0;
    const result = await generateHistory(
      { ...flags, timeZone, endDate: flags.endDate ?? yesterdayIn(timeZone) },
      {
        db: database.db,
        pool: database.pool,
        onProgress: (written, total, seconds) => {
          if (Date.now() - reported < 1000 && written < total) return;
          reported = Date.now();
          process.stderr.write(
            `generate-calls: ${written} of ${total} calls (${Math.round(written / seconds)} calls/s)\n`,
          );
        },
        onStep: (message) => process.stderr.write(`generate-calls: ${message}\n`),
      },
    );
    process.stderr.write(
      `generate-calls: wrote ${result.calls} calls and ${result.agentStateEvents} agent state events in ${((Date.now() - started) / 1000).toFixed(1)} s: ${result.callsPerSecond} calls/s\n`,
    );
    process.stdout.write(`${JSON.stringify(result)}\n`);
  });
}
