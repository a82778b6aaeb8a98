import { type Authenticator, type Principal, requireGroupAccess, requireWidgetOrigin } from "@conclave/auth";
import type { Db } from "@conclave/db";
import { AppError, describeError } from "@conclave/errors";
import type { Logger } from "@conclave/log";
import type { WebSocket } from "ws";
import type { AccessWatch } from "./access-watch.js";
import type { GroupHubs } from "./group-hub.js";
import type { StreamObserver } from "./metrics.js";
import { CLOSE, ClientFrame } from "./protocol.js";

export interface SessionLimits {
  heartbeatMs: number;
  authTimeoutMs: number;
  reauthMs: number;
  maxBufferedBytes: number;
  maxSubscriptions: number;
}

interface Subscription {
  stop(): void;
}

/** Frames already serialized go out as text frames, as the JSON ones do. */
const TEXT = { binary: false } as const;

/**
 * One WebSocket client: each subscription follows the group's hub (its one live feed in this
 * process) after the client's last seq, so a reconnect resumes with no gap and no duplicate.
 */
export function startSocketSession(deps: {
  ws: WebSocket;
  /** The groups' live feeds and token deltas, shared by every socket and SSE stream. */
  hubs: GroupHubs;
  log: Logger;
  limits: SessionLimits;
  db: Db;
  auth: Authenticator;
  /** Ends a subscription whose reader is no longer a member of its group. */
  access: AccessWatch;
  /** Set when the upgrade request carried a valid `Authorization` header. */
  principal?: Principal | undefined;
  credential?: string | undefined;
  /** The upgrade request's `Origin`: a widget key reads only from the pages it lists. */
  origin?: string | undefined;
  observe?: StreamObserver | undefined;
}): { close(code: number, reason: string): void } {
  const { ws, log, limits } = deps;
  let principal = deps.principal;
  let credential = deps.credential;
  const subs = new Map<string, Subscription>();
  let alive = true;
  let badFrames = 0;

  /** Whether the socket can take another frame; one too far behind is closed as a slow consumer. */
  const writable = (): boolean => {
    if (ws.readyState !== ws.OPEN) return false;
    if (ws.bufferedAmount > limits.maxBufferedBytes) {
      log.warn({ buffered: ws.bufferedAmount }, "slow consumer: closing socket");
      deps.observe?.slow("ws");
      close(CLOSE.slowConsumer, "slow consumer: too many events waiting");
      return false;
    }
    return true;
  };
  const send = (frame: object): boolean => {
    if (!writable()) return false;
    ws.send(JSON.stringify(frame));
    return true;
  };
  /** A frame the hub serialized once for every subscriber of its group. */
  const sendShared = (bytes: Buffer) => {
    if (writable()) ws.send(bytes, TEXT);
  };

  const subscribe = async (groupId: string, afterSeq: number | undefined) => {
    if (!principal) {
      send({ type: "error", code: "unauthorized", message: "authenticate first", groupId });
      return;
    }
    const reader = principal;
    try {
      await requireGroupAccess(deps.db, reader, groupId, "read");
      requireWidgetOrigin(reader, deps.origin);
    } catch (e) {
      // Not a member reads exactly like no such group.
      const code = e instanceof AppError ? e.code : "internal";
      send({
        type: "error",
        code,
        message: e instanceof AppError ? e.message : "could not check access",
        groupId,
      });
      return;
    }
    if (subs.has(groupId)) subs.get(groupId)?.stop();
    if (!subs.has(groupId) && subs.size >= limits.maxSubscriptions) {
      send({
        type: "error",
        code: "too_many_subscriptions",
        message: `at most ${limits.maxSubscriptions} groups per socket`,
        groupId,
      });
      return;
    }
    let stopped = false;
    const placeholder: Subscription = { stop: () => (stopped = true) };
    subs.set(groupId, placeholder);
    const failed = (e: unknown) => {
      log.error({ groupId, err: describeError(e) }, "subscription failed");
      send({
        type: "error",
        code: "subscription_failed",
        message: "could not follow the group; subscribe again",
        groupId,
      });
    };
    let unwatch = () => {};
    let sub: Subscription = placeholder;
    try {
      // Events and token deltas (live only, never replayed) come from the group's hub.
      const following = await deps.hubs.subscribe(
        groupId,
        afterSeq,
        {
          event: (frame) => sendShared(frame.bytes),
          delta: sendShared,
          failed: (e) => {
            unwatch();
            if (subs.get(groupId) === sub) subs.delete(groupId);
            failed(e);
          },
        },
        log,
      );
      sub = {
        stop: () => {
          stopped = true;
          unwatch();
          following.stop();
        },
      };
      if (stopped || subs.get(groupId) !== placeholder) {
        sub.stop();
        return;
      }
      subs.set(groupId, sub);
      // Removed from the group (or the group deleted): the feed stops and the client is told.
      unwatch = deps.access.watch(reader.accountId, groupId, () => {
        if (subs.get(groupId) !== sub) return;
        sub.stop();
        subs.delete(groupId);
        send({ type: "error", code: "not_found", message: `no group ${groupId}`, groupId });
      });
      send({ type: "subscribed", groupId, afterSeq: afterSeq ?? null });
      following.start();
    } catch (e) {
      failed(e);
      if (subs.get(groupId) === placeholder) subs.delete(groupId);
    }
  };

  const onFrame = (data: Buffer) => {
    let raw: unknown;
    try {
      raw = JSON.parse(data.toString("utf8"));
    } catch {
      return reject([{ path: "", message: "frame is not JSON" }]);
    }
    const frame = ClientFrame.safeParse(raw);
    if (!frame.success)
      return reject(frame.error.issues.map((i) => ({ path: i.path.join("."), message: i.message })));
    const f = frame.data;
    switch (f.type) {
      case "auth":
        void authenticate(f.token);
        return;
      case "subscribe":
        void subscribe(f.groupId, f.afterSeq);
        return;
      case "unsubscribe":
        subs.get(f.groupId)?.stop();
        subs.delete(f.groupId);
        send({ type: "unsubscribed", groupId: f.groupId });
        return;
      case "ping":
        send({ type: "pong", at: new Date().toISOString() });
        return;
    }
  };

  const authenticate = async (token: string) => {
    try {
      principal = await deps.auth.authenticate(token);
      credential = token;
      clearTimeout(authDeadline);
      send({ type: "authenticated", accountId: principal.accountId });
    } catch {
      close(CLOSE.unauthorized, "invalid credential");
    }
  };

  // Unauthenticated sockets get a few seconds; authenticated ones are re-checked now and then.
  const authDeadline = setTimeout(() => {
    if (!principal) close(CLOSE.unauthorized, "no credential in time");
  }, limits.authTimeoutMs);
  const reauth = setInterval(() => {
    if (!credential) return;
    deps.auth.authenticate(credential).then(
      (p) => {
        principal = p;
      },
      () => close(CLOSE.unauthorized, "credential no longer valid"),
    );
  }, limits.reauthMs);

  const reject = (errors: { path: string; message: string }[]) => {
    send({ type: "error", code: "invalid_frame", message: "frame rejected", errors });
    if (++badFrames > 20) close(CLOSE.protocolError, "too many invalid frames");
  };

  // Heartbeat both ways: a frame the client can see, and a ping whose missing pong ends the socket.
  const heartbeat = setInterval(() => {
    if (!alive) {
      ws.terminate();
      return;
    }
    alive = false;
    ws.ping();
    send({ type: "heartbeat", at: new Date().toISOString() });
  }, limits.heartbeatMs);

  const cleanup = () => {
    clearInterval(heartbeat);
    clearInterval(reauth);
    clearTimeout(authDeadline);
    for (const s of subs.values()) s.stop();
    subs.clear();
  };
  const close = (code: number, reason: string) => {
    cleanup();
    if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) ws.close(code, reason);
  };

  ws.on("pong", () => (alive = true));
  ws.on("message", (data: Buffer) => onFrame(data));
  ws.on("close", cleanup);
  ws.on("error", (e) => log.warn({ err: e.message }, "socket error"));
  send({ type: "welcome", protocol: 1, heartbeatMs: limits.heartbeatMs, authenticated: Boolean(principal) });
  return { close };
}
