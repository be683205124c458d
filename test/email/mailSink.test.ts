import { readdir } from "node:fs/promises";
import { simpleParser } from "mailparser";
import { beforeAll, describe, expect, it } from "vitest";
import { authHeaders, testApp } from "../support/app.ts";
import { runCli } from "../support/cli.ts";
import type { TestServices } from "../support/services.ts";
import { startTestServices } from "../support/services.ts";

// biome-ignore lint/suspicious/noExplicitAny: response bodies are checked field by field.
type Json = any;
let read: Record<string, string>;
let test: TestServices;
let ids: string[];

beforeAll(async () => {
  read = await authHeaders("read");
  test = await startTestServices();
  const { transport, from } = test.services.email;
  for (const n of [1, 2, 3]) {
    await transport.sendMail({
      from,
      to: [`user${n}@example.com`],
      subject: `Message ${n}`,
      text: `Body ${n}`,
      html: `<p>Body <b>${n}</b></p>`,
      attachments: n === 3 ? [{ filename: "figures.csv", content: "a,b\n1,2\n" }] : [],
    });
  }
  ids = (await readdir(test.mailDir))
    .filter((name) => name.endsWith(".eml"))
    .map((name) => name.slice(0, -4))
    .sort()
    .reverse();
});

const get = async (path: string) => {
  const app = testApp(undefined, { services: test.services });
  return app.request(path, { headers: read });
};

describe("the local mail sink", () => {
  it("keeps each message as an .eml file, written whole", async () => {
    const files = await readdir(test.mailDir);
    expect(files.filter((name) => name.endsWith(".eml"))).toHaveLength(3);
    expect(files.filter((name) => name.endsWith(".partial"))).toEqual([]);
  });

  it("lists messages newest first, a page at a time", async () => {
    const first = (await (await get("/api/mail/?limit=2")).json()) as Json;
    expect(first.items.map((mail: Json) => mail.subject)).toEqual(["Message 3", "Message 2"]);
    expect(first.items[0]).toMatchObject({
      id: ids[0],
      from: '"Switchboard" <noreply@switchboard.test>',
      to: ["user3@example.com"],
      attachments: ["figures.csv"],
    });
    expect(first.items[0].size).toBeGreaterThan(100);
    expect(Date.parse(first.items[0].date)).not.toBeNaN();
    expect(first.next_cursor).toBe(ids[1]);
    const second = (await (
      await get(`/api/mail/?limit=2&cursor=${first.next_cursor}`)
    ).json()) as Json;
    expect(second.items.map((mail: Json) => mail.subject)).toEqual(["Message 1"]);
    expect(second.next_cursor).toBeNull();
  });

  it("shows one message parsed, and raw as message/rfc822", async () => {
    const response = await get(`/api/mail/${ids[0]}/`);
    expect(response.status).toBe(200);
    const mail = (await response.json()) as Json;
    expect(mail.text.trim()).toBe("Body 3");
    expect(mail.html).toContain("<b>3</b>");
    expect(mail.headers.subject).toBe("Message 3");
    expect(mail.attachments_detail).toEqual([
      { filename: "figures.csv", content_type: "text/csv", size: 8 },
    ]);
    for (const path of [`/api/mail/${ids[0]}/?raw=1`, `/api/mail/${ids[0]}/raw`]) {
      const raw = await get(path);
      expect(raw.status).toBe(200);
      expect(raw.headers.get("content-type")).toBe("message/rfc822");
      const parsed = await simpleParser(Buffer.from(await raw.arrayBuffer()));
      expect(parsed.subject).toBe("Message 3");
    }
  });

  it("answers 404 for an unknown id and 400 for one that is not an id", async () => {
    const unknown = await get("/api/mail/20200101T000000000Z-000000000000/");
    expect(unknown.status).toBe(404);
    for (const bad of ["..%2F..%2Fetc%2Fpasswd", "x.eml", "20200101T000000000Z-00000000000g"]) {
      const response = await get(`/api/mail/${bad}/`);
      expect(response.status, bad).toBe(400);
      expect(((await response.json()) as Json).error.details[0].path).toBe("id");
    }
    expect((await get("/api/mail/?cursor=../x")).status).toBe(400);
  });

  it("needs a token", async () => {
    const app = testApp(undefined, { services: test.services });
    expect((await app.request("/api/mail/")).status).toBe(401);
  });

  it("is read by `switchboard mail list` and `switchboard mail show`", async () => {
    const env = { MAIL_DIR: test.mailDir };
    const listed = await runCli(["mail", "list"], env);
    expect(listed.code).toBe(0);
    const lines = listed.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^ID\s+DATE\s+FROM\s+TO\s+SIZE\s+ATTACHMENTS\s+SUBJECT$/);
    expect(lines.slice(1).map((line) => line.split(/\s{2,}/).at(-1))).toEqual([
      "Message 3",
      "Message 2",
      "Message 1",
    ]);
    // Aligned: every row's subject starts in the header's SUBJECT column.
    const column = lines[0]?.indexOf("SUBJECT");
    expect(lines.slice(1).map((line) => line.indexOf("Message"))).toEqual([column, column, column]);

    const json = await runCli(["mail", "list", "--json", "--limit", "1"], env);
    expect(JSON.parse(json.stdout).map((mail: Json) => mail.id)).toEqual([ids[0]]);

    const shown = await runCli(["mail", "show", ids[0] as string], env);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/^Subject:\s+Message 3$/m);
    expect(shown.stdout).toMatch(/^Attachment:\s+figures\.csv \(text\/csv, 8 bytes\)$/m);
    expect(shown.stdout).toContain("Body 3");

    const missing = await runCli(["mail", "show", "20200101T000000000Z-000000000000"], env);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain("no message 20200101T000000000Z-000000000000");
    const bad = await runCli(["mail", "show", "../secret"], env);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain("expected a message id");
  });
});
