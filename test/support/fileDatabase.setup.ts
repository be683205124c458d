/** Gives each test file its own fresh, migrated database, cloned from the run's template. */
import { afterAll, inject } from "vitest";
import { closeTestHandles, setTestDatabaseUrl } from "./database.ts";
import { createDatabase, dropDatabase, uniqueDatabaseName } from "./databases.ts";

const adminUrl = inject("postgresAdminUrl");
const name = uniqueDatabaseName("switchboard_test");
setTestDatabaseUrl(await createDatabase(adminUrl, name, inject("templateDatabase")));

afterAll(async () => {
  await closeTestHandles();
  await dropDatabase(adminUrl, name);
});
