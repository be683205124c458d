/**
 * `switchboard generate-calls`: writes a generated call-center history into the database, for
 * demos and benchmarks. Every flag is checked before anything is written.
 */
import { Command, InvalidArgumentError } from "commander";
import { type HistoryOptions, historyLimits } from "../../callCenter/history/historyPlan.ts";
import { isCalendarDate } from "../../shared/localDates.ts";

function wholeNumber(min: number, max: number) {
  return (value: string): number => {
    if (!/^\d+$/.test(value)) throw new InvalidArgumentError("expected a whole number");
    const parsed = Number(value);
    if (parsed < min || parsed > max) {
      throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}`);
    }
    return parsed;
  };
}

function calendarDate(value: string): string {
  if (!isCalendarDate(value)) throw new InvalidArgumentError("expected a date YYYY-MM-DD");
  return value;
}

/** The history's options as flags give them: the end date is optional, the time zone configured. */
export type GenerateCallsFlags = Omit<HistoryOptions, "endDate" | "timeZone"> & {
  endDate?: string;
};

export const generateCallsCommand = new Command("generate-calls")
  .description("write a generated call-center history (agents, call queues, campaigns, calls)")
  .requiredOption("--days <n>", "days of history", wholeNumber(1, historyLimits.days))
  .requiredOption(
    "--calls-per-day <n>",
    "calls per day on average (weekdays busier)",
    wholeNumber(1, historyLimits.callsPerDay),
  )
  .requiredOption("--agents <n>", "agents", wholeNumber(1, historyLimits.agents))
  .requiredOption("--call-queues <n>", "call queues", wholeNumber(1, historyLimits.callQueues))
  .option(
    "--campaigns <n>",
    "outbound campaigns; with any, a fifth of the calls are outbound",
    wholeNumber(0, historyLimits.campaigns),
    0,
  )
  .option(
    "--seed <n>",
    "seed: the same flags and seed write the same calls",
    wholeNumber(0, historyLimits.seed),
    1,
  )
  .option(
    "--end-date <date>",
    "the history's last day, YYYY-MM-DD (default: yesterday)",
    calendarDate,
  )
  .action((flags: GenerateCallsFlags) =>
    import("../actions/generateCalls.ts").then((actions) => actions.generateCalls(flags)),
  );
