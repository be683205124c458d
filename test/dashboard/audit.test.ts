import { beforeAll, describe, expect, it } from "vitest";
import { recordAudit } from "../../src/control/audit.ts";
import { testApp } from "../support/app.ts";
import { dashboardSession, type TestSession } from "../support/dashboard.ts";
import { testDb } from "../support/database.ts";

let admin: TestSession;
let operate: TestSession;

beforeAll(async () => {
  admin = await dashboardSession("admin");
  operate = await dashboardSession("operate");
  const { db } = testDb();
  for (let i = 0; i < 5; i++) {
    await recordAudit(db, {
      actor: i % 2 ? "user:ada" : "ops-token",
      action: i < 3 ? "execution.cancel" : "recording.download",
      targetIds: [`target-${i}`],
      outcome: "ok",
      details: { n: i },
    });
  }
});

const get = async (path: string, session: TestSession) => {
  const response = await testApp().request(path, { headers: session.headers });
  return { status: response.status, text: await response.text() };
};

const targets = (page: string) => [...page.matchAll(/>(target-\d)</g)].map((m) => m[1]);

describe("/dashboard/audit", () => {
  it("lists the audit log newest first for an admin", async () => {
    const { status, text } = await get("/dashboard/audit", admin);
    expect(status).toBe(200);
    expect(targets(text)).toEqual(["target-4", "target-3", "target-2", "target-1", "target-0"]);
    expect(text).toContain('href="/dashboard/audit"');
  });

  it("filters by actor and action, as the API does", async () => {
    expect(targets((await get("/dashboard/audit?actor=user%3Aada", admin)).text)).toEqual([
      "target-3",
      "target-1",
    ]);
    expect(
      targets((await get("/dashboard/audit?action=execution.cancel&actor=ops-token", admin)).text),
    ).toEqual(["target-2", "target-0"]);
  });

  it("pages with a keyset cursor", async () => {
    const first = await get("/dashboard/audit?limit=3", admin);
    expect(targets(first.text)).toEqual(["target-4", "target-3", "target-2"]);
    const next = /href="(\/dashboard\/audit\?[^"]*cursor=[^"]+)" rel="next"/.exec(first.text)?.[1];
    const second = await get((next as string).replaceAll("&amp;", "&"), admin);
    expect(targets(second.text)).toEqual(["target-1", "target-0"]);
  });

  it("refuses a session without admin with a 403 page, and hides the link", async () => {
    const { status, text } = await get("/dashboard/audit", operate);
    expect(status).toBe(403);
    expect(text).toContain("needs the admin scope");
    expect(targets(text)).toEqual([]);
    expect(text).not.toContain('href="/dashboard/audit"');
  });
});
