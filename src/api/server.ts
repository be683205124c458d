import { serve } from "@hono/node-server";
import type { App } from "./app.ts";

export interface ApiServer {
  port: number;
  /**
   * Stops taking connections and resolves once every open one has ended. Requests in flight get
   * `graceMs` (default 10 s) to finish; then their connections are cut, so a client that never
   * lets go (a stalled upload, a long wait) cannot hold the shutdown open.
   */
  close(graceMs?: number): Promise<void>;
}

export function listen(app: App, host: string, port: number): Promise<ApiServer> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, hostname: host, port }, (info) =>
      resolve({
        port: info.port,
        close: (graceMs = 10_000) =>
          new Promise((done) => {
            const cut = setTimeout(() => {
              if ("closeAllConnections" in server) server.closeAllConnections();
            }, graceMs);
            server.close(() => {
              clearTimeout(cut);
              done();
            });
            // Idle keep-alive connections would otherwise hold the close open.
            if ("closeIdleConnections" in server) server.closeIdleConnections();
          }),
      }),
    );
    server.once("error", reject);
  });
}
