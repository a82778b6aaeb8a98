import type { GroupFeed } from "@conclave/bus";
import type { EdgeContext } from "../context.js";
import { finishedTurn, isOutcome, type StreamEvent } from "./finished-turn.js";
import type { FinishedTurnView, PostedView } from "./schemas.js";

export type WatchedTurn = { ended: true; turn: FinishedTurnView } | { ended: false; pending: PostedView };

type Status = NonNullable<PostedView["status"]>;

/**
 * Reads a turn's events from the stream, after its message's seq, until its outcome, the end of
 * the wait, the client going away or the edge stopping, whichever comes first. Any edge replica
 * can: what it reads is the stream, not this process. Beyond `EDGE_MAX_WAITS` it does not wait.
 */
export async function watchTurn(
  ctx: EdgeContext,
  input: {
    groupId: string;
    ids: Pick<PostedView, "messageId" | "turnId" | "seq">;
    /** The status known before reading (`queued` for a message just posted). */
    status: Status;
    waitMs: number;
    /** The request's: aborted when the client goes away. */
    signal: AbortSignal;
  },
): Promise<WatchedTurn> {
  const { groupId, ids } = input;
  let status = input.status;
  const pending = (): WatchedTurn => ({ ended: false, pending: { ...ids, status } });
  const release = ctx.waits.take();
  if (!release) {
    ctx.log.warn(
      { groupId, turnId: ids.turnId, waits: ctx.waits.inUse },
      "EDGE_MAX_WAITS reached; not waiting",
    );
    return pending();
  }
  const log = ctx.log.child({ groupId, turnId: ids.turnId });
  const done = new AbortController();
  const end = () => done.abort();
  const timer = setTimeout(end, input.waitMs);
  const signals = [input.signal, ctx.stopping];
  for (const s of signals) s.addEventListener("abort", end, { once: true });
  if (signals.some((s) => s.aborted)) end();
  let feed: GroupFeed | undefined;
  done.signal.addEventListener("abort", () => feed?.close(), { once: true });
  try {
    if (done.signal.aborted) return pending();
    feed = await ctx.feeds(groupId, ids.seq, log);
    if (done.signal.aborted) return pending();
    const events: StreamEvent[] = [];
    for await (const item of feed.events()) {
      if (item.event.turnId !== ids.turnId) continue;
      events.push(item);
      if (item.event.type === "turn.started" && status === "queued") status = "running";
      if (isOutcome(item.event)) {
        const turn = finishedTurn(ids, events);
        if (turn) return { ended: true, turn };
      }
    }
    return pending();
  } catch (err) {
    // The message was accepted whatever happens here: answer that, not an error.
    log.warn({ err }, "could not read the turn's events; answering without its outcome");
    return pending();
  } finally {
    clearTimeout(timer);
    for (const s of signals) s.removeEventListener("abort", end);
    feed?.close();
    release();
  }
}
