/**
 * `switchboard probe api|worker|database`: a container's health check. Exits 0 with one line
 * when the part answers, 1 with the reason when it does not; it never starts anything.
 */
import { Argument, Command, Option } from "commander";

export const probeCommand = new Command("probe")
  .description("health check for containers: exit 0 when the part named answers")
  .addArgument(
    new Argument(
      "<part>",
      "api: /readyz answers 200; worker: a live worker on this host; database: DATABASE_URL answers",
    ).choices(["api", "worker", "database"]),
  )
  .addOption(new Option("--url <url>", "the API's base URL (api)").default("http://127.0.0.1:3000"))
  .option("--timeout <seconds>", "give up after this many seconds", "5")
  .action((part: "api" | "worker" | "database", options: { url: string; timeout: string }) =>
    import("../actions/probe.ts").then((actions) => actions.runProbe(part, options)),
  );
