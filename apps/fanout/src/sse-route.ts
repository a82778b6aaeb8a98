import { type Authenticator, requireGroupAccess } from "@conclave/auth";
import type { Db } from "@conclave/db";
import { AppError } from "@conclave/errors";
import type { Logger } from "@conclave/log";
import type { Context } from "hono";
import { streamSSE } from "hono/streaming";
import { z } from "zod";
import type { FeedOpener } from "./group-feed.js";

const Params = z.object({ groupId: z.uuid("must be a UUID") });
const Resume = z.coerce.number().int().min(0);

/**
 * `GET /v1/groups/:groupId/events`: the group's events as Server-Sent Events, each with `id` = its
 * stream seq, so a reconnecting client's `Last-Event-ID` (or `?afterSeq=`) resumes with no gap and
 * no duplicate. Authenticated by header (fetch-based clients); members only.
 */
export function sseHandler(deps: {
  feeds: FeedOpener;
  db: Db;
  auth: Authenticator;
  log: Logger;
  heartbeatMs: number;
  reauthMs: number;
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
      const heartbeat = setInterval(() => void stream.write(": heartbeat\n\n"), deps.heartbeatMs);
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
        clearInterval(heartbeat);
        clearInterval(reauth);
        end();
      }
    });
  };
}
