import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config.ts";
import { maskEmailAddress, maskEmailAddressesIn } from "../../src/email/addresses.ts";
import { smtpTransportOptions } from "../../src/email/transport.ts";

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error("expected a ConfigError");
}

describe("email settings", () => {
  it("default to the local mail sink", () => {
    expect(loadConfig({}).email).toEqual({
      smtpUrl: undefined,
      from: "Switchboard <noreply@localhost>",
      rateLimit: { limit: 10, perSeconds: 1 },
      timeoutMs: 30_000,
      reportRecipients: [],
      mailDir: ".switchboard/mail",
    });
  });

  it("parses given values", () => {
    const { email } = loadConfig({
      SMTP_URL: "smtps://mailer:s%40cret@smtp.example.com:465",
      DEFAULT_FROM_EMAIL: "calls@example.com",
      SMTP_RATE_LIMIT: "100/m",
      DAILY_REPORT_RECIPIENTS: " ops@example.com, Boss.Person@example.org ",
      MAIL_DIR: "/var/mail/switchboard",
    });
    expect(email.smtpUrl).toBe("smtps://mailer:s%40cret@smtp.example.com:465");
    expect(email.from).toBe("calls@example.com");
    expect(email.rateLimit).toEqual({ limit: 100, perSeconds: 60 });
    expect(email.reportRecipients).toEqual(["ops@example.com", "Boss.Person@example.org"]);
    expect(email.mailDir).toBe("/var/mail/switchboard");
    expect(smtpTransportOptions(email.smtpUrl as string)).toMatchObject({
      host: "smtp.example.com",
      port: 465,
      secure: true,
      auth: { user: "mailer", pass: "s@cret" },
    });
    expect(smtpTransportOptions("smtp://relay.internal")).toMatchObject({
      host: "relay.internal",
      port: 587,
      secure: false,
    });
  });

  it("names each bad variable", () => {
    const problems = problemsOf({
      SMTP_URL: "http://smtp.example.com",
      DEFAULT_FROM_EMAIL: "Switchboard <not an address>",
      SMTP_RATE_LIMIT: "fast",
      DAILY_REPORT_RECIPIENTS: "ops@example.com,nobody",
    });
    expect(problems.map((problem) => problem.split(":")[0])).toEqual([
      "SMTP_URL",
      "DEFAULT_FROM_EMAIL",
      "SMTP_RATE_LIMIT",
      "DAILY_REPORT_RECIPIENTS",
    ]);
    expect(problems[3]).toContain('"nobody" is not an email address');
  });
});

describe("addresses in logs", () => {
  it("are masked", () => {
    expect(maskEmailAddress("jane.doe@example.com")).toBe("j***@example.com");
    expect(maskEmailAddress("Jane <jane@example.com>")).toBe("j***@example.com");
    expect(maskEmailAddressesIn("550 5.1.1 <jane@example.com>: no such user")).toBe(
      "550 5.1.1 <j***@example.com>: no such user",
    );
  });
});
