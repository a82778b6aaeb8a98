import { type Authenticator, requireGroupAccess } from "@conclave/auth";
import type { FeedOpener } from "@conclave/bus";
import type { Db } from "@conclave/db";
import { AppError } from "@conclave/errors";
import type { Logger } from "@conclave/log";
import type { Context } from "hono";
import { streamSSE } from "hono/streaming";
import { z } from "zod";
import type { AccessWatch } from "./access-watch.js";

const Params = z.object({ groupId: z.uuid("must be a UUID") });
const Resume = z.coerce.number().int().min(0);
/** The `retry:` a stream ended by shutdown tells the client to wait before reconnecting. */
const RECONNECT_AFTER_MS = 1_000;

/**
 * `GET /v1/groups/:groupId/events`: the group's events as Server-Sent Events, each with `id` = its
 * stream seq, so a reconnecting client's `Last-Event-ID` (or `?afterSeq=`) resumes with no gap and
 * no duplicate. Authenticated by header (fetch-based clients); members only.
 */
export function sseHandler(deps: {
  feeds: FeedOpener;
  db: Db;
  auth: Authenticator;
  access: AccessWatch;
  log: Logger;
  heartbeatMs: number;
  reauthMs: number;
  /** Aborted when the process stops: each stream gets a reconnect hint and ends. */
  shutdown: AbortSignal;
}) {
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
    const feed = await deps.feeds(groupId, afterSeq, deps.log);
    return streamSSE(c, async (stream) => {
      let open = true;
      const end = () => {
        open = false;
        feed.close();
      };
      stream.onAbort(end);
      // Like the WebSocket's 1001: come back (to another replica) with Last-Event-ID.
      const goingAway = () => {
        void stream
          .writeSSE({
            event: "reconnect",
            retry: RECONNECT_AFTER_MS,
            data: JSON.stringify({ code: "going_away" }),
          })
          .then(end, end);
      };
      if (deps.shutdown.aborted) goingAway();
      else deps.shutdown.addEventListener("abort", goingAway, { once: true });
      const heartbeat = setInterval(() => void stream.write(": heartbeat\n\n"), deps.heartbeatMs);
      // A reader removed from the group (or the group deleted) is told, and the stream ends.
      const unwatch = deps.access.watch(principal.accountId, groupId, () => {
        void stream.writeSSE({
          event: "error",
          data: JSON.stringify({ code: "not_found", message: `no group ${groupId}` }),
        });
        end();
      });
      // A long-lived stream ends when its credential stops being valid (logout, revocation, expiry).
      const reauth = setInterval(() => {
        deps.auth.fromHeader(bearer).catch(() => {
          void stream.writeSSE({ event: "error", data: JSON.stringify({ code: "unauthorized" }) });
          end();
        });
      }, deps.reauthMs);
      try {
        for await (const { seq, event } of feed.events()) {
          if (!open) break;
          await stream.writeSSE({
            id: String(seq),
            event: event.type,
            data: JSON.stringify({ groupId, seq, event }),
          });
        }
      } finally {
        unwatch();
        deps.shutdown.removeEventListener("abort", goingAway);
        clearInterval(heartbeat);
        clearInterval(reauth);
        end();
      }
    });
  };
}
