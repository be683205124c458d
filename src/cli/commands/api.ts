import { Command } from "commander";

export const apiCommand = new Command("api")
  .description("serve the HTTP API only")
  .action(() => import("../actions/api.ts").then((actions) => actions.runApi()));
