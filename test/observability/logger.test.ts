import { describe, expect, it } from "vitest";
import { createLogger, maskPhoneNumbers, scrubForLog } from "../../src/observability/logger.ts";

/** A logger writing into an array, one parsed JSON object per line. */
function capture(bindings: Record<string, unknown> = {}) {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger("debug", bindings, {
    write: (line: string) => {
      lines.push(JSON.parse(line));
    },
  });
  return { logger, lines };
}

describe("log redaction", () => {
  it("redacts authorization headers and secret-bearing keys", () => {
    const { logger, lines } = capture();
    logger.info(
      {
        authorization: "Bearer sb_top",
        headers: { authorization: "Bearer sb_nested", accept: "application/json" },
        req: { headers: { authorization: "Bearer sb_deeper" } },
        token: "sb_token",
        password: "hunter2",
        twilio: { auth_token: "tw-secret", apiKey: "key", accountSid: "AC123" },
        secret: "s",
      },
      "request",
    );
    const line = lines[0];
    const text = JSON.stringify(line);
    for (const secret of ["sb_top", "sb_nested", "sb_deeper", "sb_token", "hunter2", "tw-secret"]) {
      expect(text).not.toContain(secret);
    }
    expect(line).toMatchObject({
      authorization: "[redacted]",
      headers: { authorization: "[redacted]", accept: "application/json" },
      req: { headers: { authorization: "[redacted]" } },
      msg: "request",
    });
    expect(line?.twilio).toEqual({
      auth_token: "[redacted]",
      apiKey: "[redacted]",
      accountSid: "AC123",
    });
  });

  it("redacts secret-bearing keys at any depth, in arrays and in logged errors", () => {
    const { logger, lines } = capture();
    const error = Object.assign(new Error("Twilio refused"), {
      config: { headers: { Authorization: "Basic tw-basic" } },
      token: "sb_on_error",
    });
    logger.error(
      { calls: [{ webhook: { auth: { password: "deep-pass" } } }], err: error },
      "call failed",
    );
    const text = JSON.stringify(lines[0]);
    for (const secret of ["tw-basic", "sb_on_error", "deep-pass"]) {
      expect(text).not.toContain(secret);
    }
    expect(lines[0]).toMatchObject({
      calls: [{ webhook: { auth: { password: "[redacted]" } } }],
      err: {
        type: "Error",
        message: "Twilio refused",
        config: { headers: { Authorization: "[redacted]" } },
        token: "[redacted]",
      },
    });
  });

  it("redacts secrets bound on a child logger", () => {
    const { logger, lines } = capture();
    logger.child({ token: "sb_child" }).info("hello");
    logger
      .child({ requestId: "r1" })
      .child({ headers: { cookie: "sb_grandchild" } })
      .info("hi");
    expect(JSON.stringify(lines[0])).not.toContain("sb_child");
    expect(lines[1]).toMatchObject({ requestId: "r1", headers: { cookie: "[redacted]" } });
  });
});

describe("phone number masking", () => {
  it("masks E.164 numbers as +1555***4567", () => {
    expect(maskPhoneNumbers("+15551234567")).toBe("+1555***4567");
    expect(maskPhoneNumbers("call +447911123456 now")).toBe("call +4479***3456 now");
    expect(maskPhoneNumbers("to +15551234567,+15557654321")).toBe("to +1555***4567,+1555***4321");
  });

  it("leaves what is not an E.164 number alone", () => {
    for (const text of ["5551234567", "+0123456789", "+1234", "+1234567890123456", "v1+2=3"]) {
      expect(maskPhoneNumbers(text)).toBe(text);
    }
  });

  it("never reveals a short number whole", () => {
    expect(maskPhoneNumbers("+12345678")).not.toContain("12345678");
  });

  it("does not change the caller's object", () => {
    const input = { to: "+15551234567", nested: { list: ["+15557654321", 3] } };
    const masked = scrubForLog(input);
    expect(masked).toEqual({ to: "+1555***4567", nested: { list: ["+1555***4321", 3] } });
    expect(input.to).toBe("+15551234567");
    expect(input.nested.list[0]).toBe("+15557654321");
    const withSecret = { headers: { authorization: "Bearer sb_x" } };
    expect(scrubForLog(withSecret)).toEqual({ headers: { authorization: "[redacted]" } });
    expect(withSecret.headers.authorization).toBe("Bearer sb_x");
    const untouched = { a: "no numbers" };
    expect(scrubForLog(untouched)).toBe(untouched);
  });

  it("masks numbers in messages, format arguments, fields, bindings and errors", () => {
    const { logger, lines } = capture({ caller: "+15550001111" });
    logger.info(
      { to: "+15551234567", calls: [{ from: "+15557654321" }] },
      "dialing %s",
      "+15552223333",
    );
    logger.warn("call from +15554445555 dropped");
    logger.error({ err: new Error("Twilio refused +15556667777") }, "call failed");
    const text = lines.map((line) => JSON.stringify(line)).join("\n");
    for (const number of [
      "15550001111",
      "15551234567",
      "15557654321",
      "15552223333",
      "15554445555",
      "15556667777",
    ]) {
      expect(text).not.toContain(number);
    }
    expect(lines[0]).toMatchObject({
      caller: "+1555***1111",
      to: "+1555***4567",
      calls: [{ from: "+1555***4321" }],
      msg: "dialing +1555***3333",
    });
    expect(lines[1]?.msg).toBe("call from +1555***5555 dropped");
    expect(lines[2]).toMatchObject({ err: { message: "Twilio refused +1555***7777" } });
  });
});
