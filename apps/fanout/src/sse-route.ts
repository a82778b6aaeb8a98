import { type Authenticator, requireGroupAccess, requireWidgetOrigin } from "@conclave/auth";
import type { Db } from "@conclave/db";
import { AppError, describeError } from "@conclave/errors";
import { allowOrigin } from "@conclave/http";
import type { Logger } from "@conclave/log";
import type { Context } from "hono";
import { streamSSE } from "hono/streaming";
import { z } from "zod";
import type { AccessWatch } from "./access-watch.js";
import type { EventFrame, GroupHubs, HubSubscriber, HubSubscription } from "./group-hub.js";
import type { StreamObserver } from "./metrics.js";

const Params = z.object({ groupId: z.uuid("must be a UUID") });
const Resume = z.coerce.number().int().min(0);
/** Token deltas waiting for one reader (with `?deltas=1`); beyond it they are dropped, as live-only frames may be. */
const MAX_QUEUED_DELTAS = 1024;
/** The `retry:` a stream ended by shutdown tells the client to wait before reconnecting. */
const RECONNECT_AFTER_MS = 1_000;

/**
 * `GET /v1/groups/:groupId/events`: the group's events as Server-Sent Events, each with `id` = its
 * stream seq, so a reconnecting client's `Last-Event-ID` (or `?afterSeq=`) resumes with no gap and
 * no duplicate. Authenticated by header (fetch-based clients); members only. With `?deltas=1`, the
 * live token deltas come too, as `delta` events without an id (never replayed, so not resumable).
 */
export function sseHandler(deps: {
  hubs: GroupHubs;
  db: Db;
  auth: Authenticator;
  access: AccessWatch;
  log: Logger;
  heartbeatMs: number;
  reauthMs: number;
  /** Frames waiting for a slow reader before it leaves the live tail and catches up at its own pace. */
  maxQueued: number;
  /** Aborted when the process stops: each stream gets a reconnect hint and ends. */
  shutdown: AbortSignal;
  observe?: StreamObserver | undefined;
}) {
  // A catch-up waits while more than this many frames wait to be written.
  const paceAbove = Math.max(1, Math.min(64, Math.floor(deps.maxQueued / 4)));
  return async (c: Context) => {
    const params = Params.safeParse(c.req.param());
    if (!params.success)
      throw new AppError("validation", "invalid path parameter", {
        fields: [{ path: "path.groupId", message: "must be a UUID" }],
      });
    const { groupId } = params.data;
    const bearer = c.req.header("authorization");
    const principal = await deps.auth.fromHeader(bearer);
    await requireGroupAccess(deps.db, principal, groupId, "read");
    const origin = c.req.header("origin");
    requireWidgetOrigin(principal, origin);
    const from = c.req.header("last-event-id") ?? c.req.query("afterSeq");
    let afterSeq: number | undefined;
    if (from !== undefined) {
      const parsed = Resume.safeParse(from);
      if (!parsed.success)
        throw new AppError("validation", "invalid resume position", {
          fields: [{ path: "header.last-event-id", message: "must be a stream seq" }],
        });
      afterSeq = parsed.data;
    }
    // Frames from the group's hub wait here for the stream's writes. A reader that lets too many
    // pile up leaves the hub and resumes after its last written seq: it slows its own feed only.
    const queue: EventFrame[] = [];
    const withDeltas = c.req.query("deltas") === "1";
    const deltas: Buffer[] = [];
    let wake: (() => void) | undefined;
    let paced: (() => void) | undefined;
    let fellBehind = false;
    let failure: unknown;
    const notify = () => {
      const w = wake;
      wake = undefined;
      w?.();
    };
    const subscriber: HubSubscriber = {
      event(frame) {
        queue.push(frame);
        if (queue.length > deps.maxQueued && !fellBehind) {
          fellBehind = true;
          following.stop();
          deps.observe?.slow("sse");
          deps.log.warn({ groupId, queued: queue.length }, "slow SSE reader: following from its last seq");
        }
        notify();
      },
      delta(frame) {
        if (!withDeltas || fellBehind || deltas.length >= MAX_QUEUED_DELTAS) return;
        deltas.push(frame);
        notify();
      },
      paced: () =>
        queue.length > paceAbove
          ? new Promise<void>((r) => {
              paced = r;
            })
          : undefined,
      failed(e) {
        failure = e;
        notify();
      },
    };
    let following: HubSubscription = await deps.hubs.subscribe(groupId, afterSeq, subscriber, deps.log);
    const response = streamSSE(c, async (stream) => {
      let open = true;
      const end = () => {
        open = false;
        following.stop();
        paced?.();
        notify();
      };
      stream.onAbort(end);
      let farewell: Promise<void> | undefined;
      /** No more events; the stream ends once `last` is written. */
      const endWith = (last: { event: string; data: string; retry?: number }) => {
        if (!open) return;
        farewell = stream.writeSSE(last).catch(() => undefined);
        end();
      };
      // Like the WebSocket's 1001: come back (to another replica) with Last-Event-ID.
      const goingAway = () =>
        endWith({
          event: "reconnect",
          retry: RECONNECT_AFTER_MS,
          data: JSON.stringify({ code: "going_away" }),
        });
      if (deps.shutdown.aborted) goingAway();
      else deps.shutdown.addEventListener("abort", goingAway, { once: true });
      const heartbeat = setInterval(() => void stream.write(": heartbeat\n\n"), deps.heartbeatMs);
      // A reader removed from the group (or the group deleted) is told, and the stream ends.
      const unwatch = deps.access.watch(principal.accountId, groupId, () =>
        endWith({
          event: "error",
          data: JSON.stringify({ code: "not_found", message: `no group ${groupId}` }),
        }),
      );
      // A long-lived stream ends when its credential stops being valid (logout, revocation, expiry).
      const reauth = setInterval(() => {
        deps.auth
          .fromHeader(bearer)
          .catch(() => endWith({ event: "error", data: JSON.stringify({ code: "unauthorized" }) }));
      }, deps.reauthMs);
      deps.observe?.opened("sse");
      try {
        let last = afterSeq;
        following.start();
        while (open) {
          // First: a delta comes before its call's reply on the bus, and must not be written after it.
          const delta = deltas.shift();
          if (delta) {
            await stream.writeSSE({ event: "delta", data: delta.toString("utf8") });
            continue;
          }
          const frame = queue.shift();
          if (frame) {
            await stream.writeSSE({ id: String(frame.seq), event: frame.type, data: frame.sse() });
            last = frame.seq;
            if (queue.length <= paceAbove) {
              paced?.();
              paced = undefined;
            }
            continue;
          }
          if (failure !== undefined) {
            deps.log.error({ groupId, err: describeError(failure) }, "subscription failed");
            break;
          }
          if (fellBehind) {
            fellBehind = false;
            following = await deps.hubs.subscribe(groupId, last, subscriber, deps.log);
            if (!open) break;
            following.start();
            continue;
          }
          await new Promise<void>((r) => {
            wake = r;
          });
        }
      } finally {
        deps.observe?.closed("sse");
        unwatch();
        deps.shutdown.removeEventListener("abort", goingAway);
        clearInterval(heartbeat);
        clearInterval(reauth);
        end();
        await farewell;
      }
    });
    // A widget's page (its key accepted this origin above) may read the stream.
    if (principal.widget && origin) allowOrigin(response.headers, origin);
    return response;
  };
}
