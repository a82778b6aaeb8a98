import type { IncomingMessage, Server } from "node:http";
import type { Duplex } from "node:stream";
import { jetstream, type NatsConnection, provision } from "@conclave/bus";
import type { Logger } from "@conclave/log";
import { names as namesOf } from "@conclave/subjects";
import { Hono } from "hono";
import { WebSocketServer } from "ws";
import type { FanoutConfig } from "./config.js";
import { CLOSE } from "./protocol.js";
import { startSocketSession } from "./socket-session.js";

export interface FanoutDeps {
  config: Pick<
    FanoutConfig,
    | "CONCLAVE_NS"
    | "NATS_ACK_WAIT_MS"
    | "NATS_STREAM_REPLICAS"
    | "WS_HEARTBEAT_MS"
    | "WS_MAX_BUFFERED_BYTES"
    | "WS_MAX_SUBSCRIPTIONS"
    | "WS_MAX_FRAME_BYTES"
  >;
  nc: NatsConnection;
  log: Logger;
}

export interface Fanout {
  /** HTTP routes (health); the WebSocket is attached to the server with `attach`. */
  app: Hono;
  /** Serves `/v1/stream` upgrades on a node HTTP server. */
  attach(server: Server): void;
  /** Closes every socket with 1001 so clients reconnect elsewhere with their last seq. */
  stop(): Promise<void>;
}

/** The fanout: relays each group's persisted events from JetStream to WebSocket subscribers. */
export async function createFanout(deps: FanoutDeps): Promise<Fanout> {
  const { config, nc, log } = deps;
  const names = namesOf(config.CONCLAVE_NS);
  await provision(nc, names, { ackWaitMs: config.NATS_ACK_WAIT_MS, replicas: config.NATS_STREAM_REPLICAS });
  const js = jetstream(nc);
  const wss = new WebSocketServer({ noServer: true, maxPayload: config.WS_MAX_FRAME_BYTES });
  const sessions = new Set<{ close(code: number, reason: string): void }>();
  const limits = {
    heartbeatMs: config.WS_HEARTBEAT_MS,
    maxBufferedBytes: config.WS_MAX_BUFFERED_BYTES,
    maxSubscriptions: config.WS_MAX_SUBSCRIPTIONS,
  };

  const app = new Hono();
  app.get("/healthz", (c) => c.json({ status: "ok" }));
  app.get("/readyz", (c) => {
    const ready = !nc.isClosed();
    return c.json({ status: ready ? "ready" : "not ready", sockets: wss.clients.size }, ready ? 200 : 503);
  });

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    if (path !== "/v1/stream") {
      socket.end("HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n");
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const slog = log.child({ socket: Math.random().toString(36).slice(2, 10) });
      const session = startSocketSession({ ws, js, names, log: slog, limits });
      sessions.add(session);
      ws.on("close", () => sessions.delete(session));
    });
  };

  return {
    app,
    attach(server) {
      server.on("upgrade", onUpgrade);
    },
    async stop() {
      for (const s of sessions) s.close(CLOSE.goingAway, "server shutting down");
      sessions.clear();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
export { loadConfig } from "./config.js";
