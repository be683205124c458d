import { serve } from "@hono/node-server";
import type { App } from "./app.ts";

export interface ApiServer {
  port: number;
  close(): Promise<void>;
}

export function listen(app: App, host: string, port: number): Promise<ApiServer> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, hostname: host, port }, (info) =>
      resolve({
        port: info.port,
        close: () =>
          new Promise((done) => {
            server.close(() => done());
            // Idle keep-alive connections would otherwise hold the close open.
            if ("closeIdleConnections" in server) server.closeIdleConnections();
          }),
      }),
    );
    server.once("error", reject);
  });
}
