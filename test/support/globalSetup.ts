import type { TestProject } from "vitest/node";
import { migrate } from "../../src/database/migrate.ts";
import { createPool } from "../../src/database/pool.ts";
import { createLogger } from "../../src/observability/logger.ts";
import { createDatabase, dropDatabase, uniqueDatabaseName } from "./databases.ts";
import { startTestServer } from "./postgresServer.ts";

declare module "vitest" {
  export interface ProvidedContext {
    postgresAdminUrl: string;
    templateDatabase: string;
  }
}

/** Starts the test server and migrates a template database that every test file clones. */
export default async function setup(project: TestProject) {
  const server = await startTestServer();
  const template = uniqueDatabaseName("switchboard_template");
  const url = await createDatabase(server.adminUrl, template);
  const pool = createPool(url, 4);
  try {
    await migrate(pool, { logger: createLogger("silent") });
  } finally {
    await pool.end();
  }
  process.stdout.write(`test database server: ${server.kind}\n`);
  project.provide("postgresAdminUrl", server.adminUrl);
  project.provide("templateDatabase", template);
  return async () => {
    await dropDatabase(server.adminUrl, template);
    await server.stop();
  };
}
