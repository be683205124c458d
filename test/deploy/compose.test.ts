/**
 * compose.yaml, run without a container engine: every service's command starts as a local
 * process with the service's environment, against a blank test database, in the order its
 * `depends_on` gives, and the roles must cooperate as the containers would.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { createDb, type Db } from "../../src/database/pool.ts";
import { lanesByWorkerType, type WorkerType } from "../../src/engine/lanes.ts";
import { TaskRegistry } from "../../src/engine/registry.ts";
import { tasks } from "../../tasks/index.ts";
import { type LongRunning, runCli, startCli } from "../support/cli.ts";
import { createBlankDatabase, createTestPool } from "../support/database.ts";
import { waitFor } from "../support/engine.ts";

interface Service {
  image?: string;
  build?: { context: string; dockerfile: string };
  command?: string[];
  environment?: Record<string, string>;
  restart?: string;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  ports?: string[];
}

const root = path.resolve(import.meta.dirname, "../..");
const compose = parse(await readFile(path.join(root, "compose.yaml"), "utf8"), {
  merge: true,
}) as { services: Record<string, Service> };
const services = compose.services;
const roles = Object.entries(services).filter(([, service]) => service.command);
const workerTypesOf = (service: Service) =>
  service.command?.[0] === "worker" ? (service.command[2] as WorkerType) : undefined;

/** `${NAME:-default}` as compose substitutes it with NAME unset. */
function substitute(value: string): string {
  return value.replace(/\$\{[A-Z_]+:-([^}]*)\}/g, "$1");
}

describe("compose.yaml", () => {
  it("deploys seed 000's roles, each restarted and health-checked, from one multi-stage image", async () => {
    expect(Object.keys(services).sort()).toEqual(
      [
        "api",
        "migrate",
        "postgres",
        "scheduler",
        "worker-maintenance",
        "worker-processing",
        "worker-realtime",
        "worker-reports",
      ].sort(),
    );
    for (const [name, service] of Object.entries(services)) {
      expect(service.restart, name).toBe(name === "migrate" ? "no" : "unless-stopped");
      expect(service.healthcheck?.test.length, name).toBeGreaterThan(1);
    }
    for (const [name, service] of roles) {
      expect(service.build?.dockerfile, name).toBe("deploy/Dockerfile");
      if (name !== "migrate") {
        expect(service.depends_on?.migrate?.condition, name).toBe("service_completed_successfully");
      }
    }
    // Scaling a worker type must not collide on a host port or a container name.
    for (const [name, service] of roles.filter(([name]) => name.startsWith("worker-"))) {
      expect(service.ports, name).toBeUndefined();
      expect(service, name).not.toHaveProperty("container_name");
    }
    const dockerfile = await readFile(path.join(root, "deploy/Dockerfile"), "utf8");
    expect(dockerfile.match(/^FROM /gm)?.length).toBeGreaterThanOrEqual(2);
    expect(dockerfile).toMatch(/npm ci --omit=dev/);
    expect(dockerfile).toMatch(/^COPY --from=dependencies /m);
    const lastUser = [...dockerfile.matchAll(/^USER (\S+)/gm)].at(-1)?.[1];
    expect(lastUser).toBeDefined();
    expect(lastUser).not.toBe("root");
  });
});

describe("compose.yaml's services as local processes", () => {
  const running: LongRunning[] = [];
  let folder: string;
  let databaseUrl: string;
  let db: Db;
  let apiUrl: string;
  let baseEnv: (service: Service) => Record<string, string>;

  beforeAll(async () => {
    folder = await mkdtemp(path.join(tmpdir(), "switchboard-compose-"));
    databaseUrl = await createBlankDatabase();
    db = createDb(createTestPool(2, databaseUrl));
    // Every minute, filled back five minutes once known: the scheduler queues at once.
    const crontab = path.join(folder, "crontab");
    await writeFile(crontab, "* * * * * system_health_check ?fill=5m\n");
    baseEnv = (service) => ({
      ...Object.fromEntries(
        Object.entries(service.environment ?? {}).map(([name, value]) => [name, substitute(value)]),
      ),
      DATABASE_URL: databaseUrl,
      HOST: "127.0.0.1",
      CRONTAB_FILE: crontab,
      TWILIO_ACCOUNT_SID: "",
      TWILIO_AUTH_TOKEN: "",
      TWILIO_SIMULATOR_URL: "",
    });
  });

  afterAll(async () => {
    await Promise.all(running.splice(0).map((process) => process.stop("SIGTERM")));
    await db?.destroy();
    if (folder) await rm(folder, { recursive: true, force: true });
  });

  /** The service's command, run from a folder that stands for the shared volume. */
  function start(name: string, env: Record<string, string> = {}) {
    const service = services[name] as Service;
    const process = startCli(
      service.command ?? [],
      { ...baseEnv(service), ...env },
      { cwd: folder },
    );
    running.push(process);
    return process;
  }

  /** The service's health check, as the container engine would run it. */
  function healthCheck(name: string, extraArgs: string[] = []) {
    const service = services[name] as Service;
    const [, node, bin, ...args] = service.healthcheck?.test ?? [];
    expect([node, bin]).toEqual(["node", "bin/switchboard.js"]);
    return runCli([...args, ...extraArgs], baseEnv(service), { cwd: folder });
  }

  it("migrates once, then the API answers, each worker serves its lanes and the scheduler fires", async () => {
    const migrate = services.migrate as Service;
    const migrated = await runCli(migrate.command ?? [], baseEnv(migrate), { cwd: folder });
    expect(migrated.code, migrated.stderr).toBe(0);
    await sql`
      insert into graphile_worker._private_known_crontabs (identifier, known_since)
      values ('system_health_check', now() - interval '1 hour')`.execute(db);

    const api = start("api", { PORT: "0" });
    apiUrl = String((await api.waitForLog("API listening")).url);
    const ready = await fetch(`${apiUrl}/readyz`);
    expect(ready.status).toBe(200);
    // The container's check asks port 3000, where the API listens in it; here, where the log says.
    const apiCheck = await healthCheck("api", [`--url`, apiUrl]);
    expect(apiCheck.code, apiCheck.stderr).toBe(0);

    const workers = roles.filter(([, service]) => workerTypesOf(service));
    for (const [name] of workers) start(name, { PUBLIC_BASE_URL: apiUrl });
    // `docker compose up --scale worker-realtime=2`
    start("worker-realtime", { PUBLIC_BASE_URL: apiUrl });
    start("scheduler", { PUBLIC_BASE_URL: apiUrl });

    const registry = new TaskRegistry(tasks);
    const alive = await waitFor(async () => {
      const rows = await db
        .selectFrom("workers")
        .select(["type", "lanes"])
        .where("stopped_at", "is", null)
        .execute();
      return rows.length === workers.length + 1 ? rows : undefined;
    }, 60_000);
    for (const [name, service] of workers) {
      const type = workerTypesOf(service) as WorkerType;
      const expected = lanesByWorkerType[type].filter((lane) => registry.inLane(lane).length > 0);
      const ofType = alive.filter((worker) => worker.type === type);
      expect(ofType.length, name).toBe(name === "worker-realtime" ? 2 : 1);
      for (const worker of ofType)
        expect([...worker.lanes].sort(), name).toEqual([...expected].sort());
    }

    // The scheduler queued the health check and a maintenance worker ran it.
    const execution = await waitFor(
      () =>
        db
          .selectFrom("executions")
          .select(["status", "lane"])
          .where("task_name", "=", "system_health_check")
          .where("correlation_id", "=", "crontab")
          .where("status", "=", "succeeded")
          .executeTakeFirst(),
      60_000,
    );
    expect(execution.lane).toBe("maintenance");

    for (const [name] of [...workers, ["scheduler"], ["migrate"]]) {
      const check = await healthCheck(name as string);
      expect(check.code, `${name}: ${check.stderr}`).toBe(0);
    }
  }, 120_000);
});
