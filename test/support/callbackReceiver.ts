/** A real local HTTP server that records the callbacks the simulator sends it. */
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import twilio from "twilio";

export interface ReceivedCallback {
  method: string;
  /** The full URL requested, as the signature covers it. */
  url: string;
  params: Record<string, string>;
  signature: string;
  idempotencyToken: string | undefined;
  receivedAt: number;
}

export interface CallbackReceiver {
  /** `http://127.0.0.1:<port>`; callbacks may go to any path under it. */
  url: string;
  received: ReceivedCallback[];
  /** Waits until `count` callbacks match `filter`; returns them. */
  waitFor(
    count: number,
    filter?: (callback: ReceivedCallback) => boolean,
    timeoutMs?: number,
  ): Promise<ReceivedCallback[]>;
  /** Whether a callback carries a valid `X-Twilio-Signature` for `authToken`. */
  isSigned(callback: ReceivedCallback, authToken: string): boolean;
  close(): Promise<void>;
}

export interface CallbackReceiverOptions {
  /** A TwiML (or other XML) document to answer a request with; 204 when it returns undefined. */
  respond?: (callback: ReceivedCallback) => string | undefined;
}

export async function startCallbackReceiver(
  options: CallbackReceiverOptions = {},
): Promise<CallbackReceiver> {
  const received: ReceivedCallback[] = [];
  let base = "";
  const app = new Hono();
  app.all("*", async (c) => {
    const url = `${base}${new URL(c.req.url).pathname}${new URL(c.req.url).search}`;
    const params =
      c.req.method === "POST"
        ? Object.fromEntries(new URLSearchParams(await c.req.text()))
        : ({} as Record<string, string>);
    const callback = {
      method: c.req.method,
      url,
      params,
      signature: c.req.header("x-twilio-signature") ?? "",
      idempotencyToken: c.req.header("i-twilio-idempotency-token"),
      receivedAt: Date.now(),
    };
    received.push(callback);
    const document = options.respond?.(callback);
    if (document !== undefined) return c.body(document, 200, { "content-type": "text/xml" });
    return c.body(null, 204);
  });
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const started = serve({ fetch: app.fetch, hostname: "127.0.0.1", port: 0 }, () =>
      resolve(started),
    );
  });
  const address = server.address();
  base = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;

  return {
    url: base,
    received,
    async waitFor(count, filter = () => true, timeoutMs = 5_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const matching = received.filter(filter);
        if (matching.length >= count) return matching;
        if (Date.now() > deadline) {
          throw new Error(`expected ${count} callbacks, got ${matching.length} in ${timeoutMs} ms`);
        }
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    },
    isSigned: (callback, authToken) =>
      twilio.validateRequest(authToken, callback.signature, callback.url, callback.params),
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        if ("closeAllConnections" in server) server.closeAllConnections();
      }),
  };
}
