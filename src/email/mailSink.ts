/**
 * The local mail sink: a real SMTP server (smtp-server) on loopback, in this process, that keeps
 * every message it receives as an `.eml` file in its folder (written atomically) and accepts
 * every recipient. Without SMTP_URL, `start` and the workers send to it, so nothing leaves the
 * machine and every message can be read back (`GET /api/mail/`, `switchboard mail list`).
 *
 * @example
 * const sink = new MailSink({ mailDir: ".switchboard/mail" });
 * const { port } = await sink.start();
 */
import { once } from "node:events";
import { rm } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import type { Readable } from "node:stream";
import { SMTPServer } from "smtp-server";
import { writeFileAtomically } from "../storage/atomicFile.ts";
import { mailFilePath, newMailId } from "./mailFiles.ts";
import { MAX_ATTACHMENT_BYTES, MAX_BODY_BYTES, MAX_HTML_BYTES } from "./payload.ts";

export interface MailSinkOptions {
  mailDir: string;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: a free port. */
  port?: number;
  /** Largest message accepted; default what `send_email` can produce, base64 included. */
  maxMessageBytes?: number;
}

const defaultMaxMessageBytes = Math.ceil(
  (MAX_BODY_BYTES + MAX_HTML_BYTES + (MAX_ATTACHMENT_BYTES * 4) / 3) * 1.1,
);

export class MailSink {
  readonly mailDir: string;
  readonly #host: string;
  readonly #port: number;
  readonly #server: SMTPServer;

  constructor(options: MailSinkOptions) {
    this.mailDir = options.mailDir;
    this.#host = options.host ?? "127.0.0.1";
    this.#port = options.port ?? 0;
    const maxBytes = options.maxMessageBytes ?? defaultMaxMessageBytes;
    this.#server = new SMTPServer({
      name: "switchboard-mail-sink",
      banner: "Switchboard local mail sink: messages are kept, never delivered",
      authOptional: true,
      disabledCommands: ["AUTH", "STARTTLS"],
      size: maxBytes,
      logger: false,
      onData: (stream, _session, callback) => {
        this.#keep(stream).then(
          (id) => callback(null, `Kept as ${id}`),
          (error: Error) => callback(error),
        );
      },
    });
  }

  async #keep(stream: Readable & { sizeExceeded?: boolean }): Promise<string> {
    const id = newMailId();
    const file = mailFilePath(this.mailDir, id);
    await writeFileAtomically(file, stream);
    if (stream.sizeExceeded) {
      await rm(file, { force: true });
      throw Object.assign(new Error("message exceeds the size limit"), { responseCode: 552 });
    }
    return id;
  }

  async start(): Promise<{ host: string; port: number; url: string }> {
    this.#server.listen(this.#port, this.#host);
    await once(this.#server.server, "listening");
    const { port } = this.#server.server.address() as AddressInfo;
    return { host: this.#host, port, url: `smtp://${this.#host}:${port}` };
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}
