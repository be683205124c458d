/**
 * An SMTP server in the test process (smtp-server) that keeps what it receives, parsed with
 * mailparser, and answers as the test says: `reply(n)` returns, for the n-th message (1-based),
 * an SMTP error to answer DATA with (e.g. 421 or 550), or nothing to accept it. Stopped after
 * the file.
 */
import { once } from "node:events";
import type { AddressInfo } from "node:net";
import { type ParsedMail, simpleParser } from "mailparser";
import { SMTPServer } from "smtp-server";
import { afterAll } from "vitest";

export interface ReceivedMail {
  raw: Buffer;
  parsed: ParsedMail;
  envelopeTo: string[];
}

export interface TestSmtpServer {
  url: string;
  port: number;
  /** Messages accepted. */
  received: ReceivedMail[];
  /** Every message offered (accepted or refused), in order. */
  offered: ParsedMail[];
  stop(): Promise<void>;
}

const servers: TestSmtpServer[] = [];
afterAll(async () => {
  await Promise.all(servers.splice(0).map((server) => server.stop()));
});

export async function startTestSmtpServer(
  options: { reply?: (n: number) => { code: number; message: string } | undefined } = {},
): Promise<TestSmtpServer> {
  const received: ReceivedMail[] = [];
  const offered: ParsedMail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["AUTH", "STARTTLS"],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("end", async () => {
        const raw = Buffer.concat(chunks);
        const parsed = await simpleParser(raw);
        offered.push(parsed);
        const refusal = options.reply?.(offered.length);
        if (refusal) {
          callback(Object.assign(new Error(refusal.message), { responseCode: refusal.code }));
          return;
        }
        received.push({
          raw,
          parsed,
          envelopeTo: session.envelope.rcptTo.map((rcpt) => rcpt.address),
        });
        callback(null, `Ok: queued as test-${received.length}`);
      });
    },
  });
  server.listen(0, "127.0.0.1");
  await once(server.server, "listening");
  const { port } = server.server.address() as AddressInfo;
  const handle: TestSmtpServer = {
    url: `smtp://127.0.0.1:${port}`,
    port,
    received,
    offered,
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
  servers.push(handle);
  return handle;
}
