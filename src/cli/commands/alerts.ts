/** `switchboard alerts`: critical alerts, newest first (what `GET /api/alerts/` lists). */
import { Command, Option } from "commander";
import { alertStatuses } from "../../alerts/alertStatus.ts";

export const alertsCommand = new Command("alerts")
  .description("list critical alerts, newest first: one line each, or JSON lines with --json")
  .addOption(
    new Option("--status <status>", "open, resolved or all").choices(alertStatuses).default("all"),
  )
  .option("--limit <n>", "how many (at most 500)", (value) => {
    if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 500)
      throw new Error("--limit: expected a number from 1 to 500");
    return Number(value);
  })
  .option("--json", "one JSON object per line")
  .action((options: { status: (typeof alertStatuses)[number]; limit?: number; json?: boolean }) =>
    import("../actions/alerts.ts").then((run) => run.listAlerts(options)),
  );
