import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { Lifecycle } from "../../src/cli/lifecycle.ts";
import { openServices } from "../../src/cli/openServices.ts";
import { loadConfig } from "../../src/config.ts";
import { createLogger } from "../../src/observability/logger.ts";
import { testDb } from "../support/database.ts";
import { startTestSmtpServer } from "../support/smtpServer.ts";

const folders: string[] = [];
afterAll(async () => {
  await Promise.all(folders.map((folder) => rm(folder, { recursive: true, force: true })));
});

/** A runtime over this file's database whose local folders are in a temporary folder. */
async function runtime(env: Record<string, string>) {
  const folder = await mkdtemp(path.join(tmpdir(), "switchboard-services-"));
  folders.push(folder);
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger(
    "info",
    {},
    {
      write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>),
    },
  );
  const { pool, db } = testDb();
  const mailDir = path.join(folder, "mail");
  return {
    mailDir,
    lines,
    runtime: {
      config: loadConfig({
        RECORDING_STORAGE_DIR: path.join(folder, "recordings"),
        GENERATED_FILES_DIR: path.join(folder, "files"),
        MAIL_DIR: mailDir,
        SIMULATED_INBOUND_CALLS_PER_MINUTE: "0",
        ...env,
      }),
      logger,
      lifecycle: new Lifecycle(logger),
      database: { url: "", embedded: false, pool, db, close: async () => {} },
    },
  };
}

const message = (from: string) => ({
  from,
  to: "jane@example.com",
  subject: "Wiring",
  text: "Sent through the services",
});

describe("openServices' email", () => {
  it("without SMTP_URL starts the local mail sink, which keeps what is sent", async () => {
    const { runtime: r, mailDir, lines } = await runtime({});
    const services = await openServices(r);
    try {
      expect(services.email.sink).toBe(true);
      expect(services.email.from).toBe("Switchboard <noreply@localhost>");
      await services.email.transport.sendMail(message(services.email.from));
      expect((await readdir(mailDir)).filter((name) => name.endsWith(".eml"))).toHaveLength(1);
      const logged = lines.find((line) => String(line.msg).startsWith("Email:"));
      expect(logged?.msg).toBe("Email: the local mail sink keeps every message (no SMTP_URL set)");
      expect(String(logged?.sink)).toMatch(/^smtp:\/\/127\.0\.0\.1:\d+$/);
    } finally {
      r.lifecycle.started();
      await r.lifecycle.stop();
    }
  });

  it("with SMTP_URL sends there, and nothing to the sink", async () => {
    const smtp = await startTestSmtpServer();
    const {
      runtime: r,
      mailDir,
      lines,
    } = await runtime({
      SMTP_URL: smtp.url,
      DAILY_REPORT_RECIPIENTS: "ops@example.com",
    });
    const services = await openServices(r);
    try {
      expect(services.email.sink).toBe(false);
      expect(services.email.reportRecipients).toEqual(["ops@example.com"]);
      await services.email.transport.sendMail(message(services.email.from));
      expect(smtp.received.map((mail) => mail.parsed.subject)).toEqual(["Wiring"]);
      await expect(readdir(mailDir)).rejects.toThrow(/ENOENT/);
      expect(lines.some((line) => line.msg === "Email: sending through SMTP_URL")).toBe(true);
    } finally {
      r.lifecycle.started();
      await r.lifecycle.stop();
    }
  });
});
