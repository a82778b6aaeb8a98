import type { IncomingMessage, Server } from "node:http";
import type { Duplex } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import {
  type Authenticator,
  createAuthenticator,
  keyStoreFrom,
  type Principal,
  tokenSettingsFrom,
} from "@conclave/auth";
import { assertProvisioned, busConnected, groupFeeds, type NatsConnection } from "@conclave/bus";
import { type DbHandle, isDatabaseUnreachable } from "@conclave/db";
import { onError, openPreflight } from "@conclave/http";
import { type Logger, withLogFields } from "@conclave/log";
import { type AppMetrics, httpMetrics } from "@conclave/metrics";
import { names as namesOf } from "@conclave/subjects";
import { Hono } from "hono";
import { cors } from "hono/cors";
import { requestId } from "hono/request-id";
import { WebSocketServer } from "ws";
import { createAccessWatch } from "./access-watch.js";
import type { FanoutConfig } from "./config.js";
import { createGroupHubs, HUB_LIMITS, type HubLimits } from "./group-hub.js";
import { streamMetrics } from "./metrics.js";
import { CLOSE } from "./protocol.js";
import { startSocketSession } from "./socket-session.js";
import { sseHandler } from "./sse-route.js";

export type FanoutAppConfig = Omit<
  FanoutConfig,
  "NATS_URL" | "LOG_LEVEL" | "DATABASE_URL" | "PGLITE_DIR" | "HOST" | "FANOUT_PORT" | "FAULT_CRASH_BEFORE_ACK"
>;

/** What the fanout keeps in memory per group and per SSE stream. */
export interface FanoutLimits extends HubLimits {
  /** Frames waiting for one SSE reader before it leaves the live tail and catches up at its own pace. */
  sseQueuedFrames: number;
}

export const FANOUT_LIMITS: FanoutLimits = { ...HUB_LIMITS, sseQueuedFrames: 1024 };

export interface FanoutDeps {
  config: FanoutAppConfig;
  nc: NatsConnection;
  db: DbHandle;
  log: Logger;
  limits?: Partial<FanoutLimits>;
  /** Request latency, open streams and slow clients go here (served on the ops port). */
  metrics?: AppMetrics | undefined;
}

export interface Fanout {
  /** HTTP routes (health); the WebSocket is attached to the server with `attach`. */
  app: Hono;
  /** Serves `/v1/stream` upgrades on a node HTTP server. */
  attach(server: Server): void;
  /**
   * Closes every socket with 1001 and ends every SSE stream with a reconnect hint, so clients
   * reconnect elsewhere with their last seq.
   */
  stop(): Promise<void>;
}

/** How long stopping waits for clients to answer the 1001 close before cutting them. */
const CLOSE_HANDSHAKE_MS = 3_000;

function refuse(socket: Duplex, status: number, reason: string, headers = "") {
  socket.end(`HTTP/1.1 ${status} ${reason}\r\n${headers}connection: close\r\ncontent-length: 0\r\n\r\n`);
}

/** The fanout: relays each group's persisted events from JetStream to its members' WebSockets. */
export async function createFanout(deps: FanoutDeps): Promise<Fanout> {
  const { config, nc, log } = deps;
  const names = namesOf(config.CONCLAVE_NS);
  await assertProvisioned(nc, names, "fanout");
  const feeds = groupFeeds(nc, names, { pullExpiresMs: config.FANOUT_PULL_EXPIRES_MS });
  const limits = { ...FANOUT_LIMITS, ...deps.limits };
  const hubs = createGroupHubs({ feeds, nc, names, log, limits });
  const keys = keyStoreFrom(deps.db.db, config);
  const auth: Authenticator = createAuthenticator({
    db: deps.db.db,
    keys,
    tokens: tokenSettingsFrom(config),
  });
  const access = createAccessWatch({ db: deps.db.db, intervalMs: config.ACCESS_RECHECK_MS, log });
  const wss = new WebSocketServer({ noServer: true, maxPayload: config.WS_MAX_FRAME_BYTES });
  const sessions = new Set<{ close(code: number, reason: string): void }>();
  const socketLimits = {
    heartbeatMs: config.WS_HEARTBEAT_MS,
    maxBufferedBytes: config.WS_MAX_BUFFERED_BYTES,
    maxSubscriptions: config.WS_MAX_SUBSCRIPTIONS,
    authTimeoutMs: config.WS_AUTH_TIMEOUT_MS,
    reauthMs: config.WS_REAUTH_MS,
  };

  const shutdown = new AbortController();
  const app = new Hono();
  // Every response carries a request id (the caller's, if valid), and so does every line logged for it.
  app.use("*", requestId(), (c, next) => withLogFields({ requestId: c.var.requestId }, next));
  app.onError(onError(log, { isUnavailable: isDatabaseUnreachable }));
  const observe = deps.metrics ? streamMetrics(deps.metrics) : undefined;
  if (deps.metrics) app.use("*", httpMetrics(deps.metrics));
  // Pages on a widget key's origins read their group's events; the stream itself checks the origin.
  app.use(
    "/v1/groups/:groupId/events",
    openPreflight({ methods: ["GET"], headers: ["authorization", "last-event-id"] }),
  );
  if (config.CORS_ORIGINS.length > 0) {
    app.use(
      "/v1/*",
      cors({ origin: config.CORS_ORIGINS, allowHeaders: ["authorization", "last-event-id"], maxAge: 600 }),
    );
  }
  app.get("/healthz", (c) => c.json({ status: "ok" }));
  app.get("/readyz", (c) => {
    const ready = busConnected(nc);
    return c.json({ status: ready ? "ready" : "not ready", sockets: wss.clients.size }, ready ? 200 : 503);
  });

  app.get(
    "/v1/groups/:groupId/events",
    sseHandler({
      hubs,
      db: deps.db.db,
      auth,
      access,
      log,
      heartbeatMs: config.WS_HEARTBEAT_MS,
      reauthMs: config.WS_REAUTH_MS,
      maxQueued: limits.sseQueuedFrames,
      shutdown: shutdown.signal,
      observe,
    }),
  );

  const onUpgrade = async (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    if (path !== "/v1/stream") return refuse(socket, 404, "Not Found");
    // Browsers send Origin; other clients may not. A browser page from elsewhere is refused.
    const origin = req.headers.origin;
    if (origin !== undefined && !config.CORS_ORIGINS.includes(origin)) {
      log.warn({ origin }, "websocket origin refused");
      return refuse(socket, 403, "Forbidden");
    }
    let principal: Principal | undefined;
    let credential: string | undefined;
    if (req.headers.authorization) {
      try {
        principal = await auth.fromHeader(req.headers.authorization);
        credential = req.headers.authorization.replace(/^Bearer\s+/i, "").trim();
      } catch (e) {
        // The credential may be fine: its session row cannot be read while the database is down.
        if (isDatabaseUnreachable(e)) return refuse(socket, 503, "Service Unavailable", "retry-after: 2\r\n");
        return refuse(socket, 401, "Unauthorized");
      }
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const slog = log.child({
        socket: Math.random().toString(36).slice(2, 10),
        accountId: principal?.accountId,
      });
      const session = startSocketSession({
        ws,
        hubs,
        log: slog,
        limits: socketLimits,
        db: deps.db.db,
        auth,
        access,
        principal,
        credential,
        origin,
        observe,
      });
      sessions.add(session);
      observe?.opened("ws");
      ws.on("close", () => {
        sessions.delete(session);
        observe?.closed("ws");
      });
    });
  };

  return {
    app,
    attach(server) {
      server.on(
        "upgrade",
        (req: IncomingMessage, socket: Duplex, head: Buffer) => void onUpgrade(req, socket, head),
      );
    },
    async stop() {
      shutdown.abort();
      for (const s of sessions) s.close(CLOSE.goingAway, "server shutting down");
      sessions.clear();
      access.stop();
      hubs.close();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      // A client that never answers the close handshake would hold the drain for ws's 30 s.
      const deadline = Date.now() + CLOSE_HANDSHAKE_MS;
      while (wss.clients.size > 0 && Date.now() < deadline) await sleep(50);
      for (const ws of wss.clients) ws.terminate();
    },
  };
}

export { loadConfig } from "./config.js";
