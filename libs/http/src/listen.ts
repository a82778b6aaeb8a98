import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { AppError } from "@conclave/errors";
import type { Logger } from "@conclave/log";
import { serve } from "@hono/node-server";
import { problemOf } from "./problem.js";

/** How long `close` lets in-flight requests finish before it cuts the connections left. */
const DEFAULT_GRACE_MS = 10_000;
/** While draining, connections that went idle (a response just finished) are closed this often. */
const IDLE_SWEEP_MS = 50;

export interface Listening {
  server: Server;
  /**
   * Drains: the listener closes at once (new connections are refused), a request that still
   * arrives on an open connection gets 503, responses carry `Connection: close`, and in-flight
   * requests finish. Connections still open after `graceMs` are cut. Long-lived streams are the
   * app's to end (the fanout ends its SSE and WebSocket clients).
   */
  close(options?: { graceMs?: number }): Promise<void>;
}

/** An HTTP server for a fetch handler, listening once this resolves. */
export async function listen(o: {
  /** Called with the node bindings (`{ incoming, outgoing }`) too: getConnInfo finds the peer there. */
  fetch: (r: Request, bindings: unknown) => Response | Promise<Response>;
  hostname: string;
  port: number;
  log: Logger;
  name: string;
}): Promise<Listening> {
  let draining = false;
  const refusal = JSON.stringify(problemOf(new AppError("unavailable", `${o.name} is shutting down`)));
  const fetch = (r: Request, bindings: unknown) =>
    draining
      ? new Response(refusal, {
          status: 503,
          headers: { "content-type": "application/problem+json", "retry-after": "1", connection: "close" },
        })
      : o.fetch(r, bindings);
  const server = await new Promise<Server>((resolve) => {
    const s = serve({ fetch, hostname: o.hostname, port: o.port }, (info) => {
      o.log.info({ port: info.port }, `${o.name} listening`);
      resolve(s as Server);
    }) as Server;
  });
  // First of the request listeners, before any response is written: a keep-alive client learns
  // to send no further request on this connection.
  server.prependListener("request", (_req: IncomingMessage, res: ServerResponse) => {
    if (draining && !res.headersSent) res.setHeader("connection", "close");
  });
  let closing: Promise<void> | undefined;
  const close = ({ graceMs = DEFAULT_GRACE_MS } = {}) => {
    closing ??= new Promise<void>((resolve) => {
      draining = true;
      const sweep = setInterval(() => server.closeIdleConnections(), IDLE_SWEEP_MS);
      const cut = setTimeout(() => {
        o.log.warn({ graceMs }, `${o.name}: connections still open after the grace period; closing them`);
        server.closeAllConnections();
      }, graceMs);
      server.close(() => {
        clearInterval(sweep);
        clearTimeout(cut);
        resolve();
      });
      server.closeIdleConnections();
    });
    return closing;
  };
  return { server, close };
}
