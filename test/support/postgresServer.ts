/**
 * Picks the PostgreSQL server for a test run, in this order: `TEST_DATABASE_URL`, else
 * testcontainers' PostgreSQL module when a container engine answers, else the embedded server.
 */
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { startEmbeddedPostgres } from "../../src/database/embedded.ts";

export interface TestServer {
  kind: "url" | "testcontainers" | "embedded";
  /** Connection URL of a maintenance database (used to create and drop test databases). */
  adminUrl: string;
  stop(): Promise<void>;
}

export async function startTestServer(): Promise<TestServer> {
  const url = process.env.TEST_DATABASE_URL;
  if (url) return { kind: "url", adminUrl: url, stop: async () => {} };
  const container = await startContainer();
  if (container) return container;
  const dataDir = await mkdtemp(path.join(tmpdir(), "switchboard-test-pg-"));
  const server = await startEmbeddedPostgres({ dataDir, ephemeral: true });
  return { kind: "embedded", adminUrl: server.urlFor("postgres"), stop: server.stop };
}

async function startContainer(): Promise<TestServer | undefined> {
  try {
    const { getContainerRuntimeClient } = await import("testcontainers");
    await getContainerRuntimeClient();
  } catch {
    return undefined; // no container engine here
  }
  const { PostgreSqlContainer } = await import("@testcontainers/postgresql");
  const container = await new PostgreSqlContainer("postgres:17-alpine").start();
  return {
    kind: "testcontainers",
    adminUrl: container.getConnectionUri(),
    stop: async () => {
      await container.stop();
    },
  };
}
