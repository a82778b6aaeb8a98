import type { Server } from "node:http";
import type { Logger } from "@conclave/log";
import { serve } from "@hono/node-server";

/** An HTTP server for a fetch handler, listening once this resolves; `close` waits for it to stop. */
export async function listen(o: {
  fetch: (r: Request) => Response | Promise<Response>;
  hostname: string;
  port: number;
  log: Logger;
  name: string;
}): Promise<{ server: Server; close(): Promise<void> }> {
  const server = await new Promise<Server>((resolve) => {
    const s = serve({ fetch: o.fetch, hostname: o.hostname, port: o.port }, (info) => {
      o.log.info({ port: info.port }, `${o.name} listening`);
      resolve(s as Server);
    }) as Server;
  });
  return { server, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
