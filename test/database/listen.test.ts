import { sql } from "kysely";
import { afterEach, describe, expect, it } from "vitest";
import { type Listener, listenForNotifications } from "../../src/database/listen.ts";
import { createTestPool, testDb } from "../support/database.ts";
import { silentLogger, waitFor } from "../support/engine.ts";

const CHANNEL = "listen_test";

const listeners: Listener[] = [];
afterEach(async () => {
  await Promise.all(listeners.splice(0).map((listener) => listener.close()));
});

const listenerPid = async () => {
  const { rows } = await sql<{ pid: number }>`
    select pid from pg_stat_activity
    where datname = current_database() and query = ${`listen ${CHANNEL}`} and state = 'idle'
  `.execute(testDb().db);
  return rows[0]?.pid;
};

describe("listenForNotifications", () => {
  it("hears notifications, and again after its connection is killed", async () => {
    const heard: (string | undefined)[] = [];
    const listener = await listenForNotifications(createTestPool(2), {
      logger: silentLogger,
      handlers: { [CHANNEL]: (payload) => heard.push(payload) },
      reconnectDelayMs: 20,
    });
    listeners.push(listener);
    const notify = (payload: string) =>
      sql`select pg_notify(${CHANNEL}, ${payload})`.execute(testDb().db);
    await notify("one");
    await waitFor(async () => heard.includes("one"));

    const before = await listenerPid();
    await sql`select pg_terminate_backend(${before}::int)`.execute(testDb().db);
    await waitFor(async () => {
      const pid = await listenerPid();
      return pid !== undefined && pid !== before && listener.listening;
    }, 5_000);
    await notify("two");
    await waitFor(async () => heard.includes("two"));

    await listener.close();
    expect(listener.listening).toBe(false);
    await notify("three");
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(heard).toEqual(["one", "two"]);
  });

  it("refuses a channel that is not a lowercase identifier, naming it", async () => {
    await expect(
      listenForNotifications(createTestPool(1), {
        logger: silentLogger,
        handlers: { 'x"; drop': () => {} },
      }),
    ).rejects.toThrow(/channel "x\\"; drop"/);
  });
});
