import { performance } from "node:perf_hooks";
import type { NatsConnection } from "@conclave/bus";
import type { Names, TokenDelta } from "@conclave/subjects";

/** A call's next piece of text; the publisher numbers the deltas it sends. */
export type DeltaText = Omit<TokenDelta, "index">;

/** Sends token deltas to live subscribers (core NATS: fire and forget, never persisted). */
export interface DeltaPublisher {
  publish(delta: DeltaText): void;
  /**
   * Sends what a call still holds, at once, and forgets the call: its deltas go out before its
   * outcome. Every call ends this way, also when it fails or its executor stops.
   */
  end(workId: string): void;
}

interface Call {
  base: Omit<DeltaText, "text">;
  /** Text not sent yet. */
  text: string;
  /** The index of the next delta sent. */
  next: number;
  /** When its last delta went out (performance.now(); -Infinity: none yet). */
  sentAt: number;
  /** Whether it is queued to go out (it holds text). */
  queued: boolean;
}

/**
 * Coalesces each call's text into about one delta per `windowMs`, and publishes after the loop
 * turn's I/O: a piece that comes `windowMs` or more after the call's last delta (its first piece,
 * say) goes out on the next turn of the event loop; one that comes sooner waits for the next tick
 * of a `windowMs` timer, with whatever else the call said meanwhile. Pieces that arrive at once (a
 * scripted answer, a burst read in one socket read) become one delta, so a turn sends a few
 * messages rather than one per word, and the NATS client writes its buffer once per loop turn.
 * Each call's deltas are numbered 0, 1, 2... as sent (a gap still shows a lost one), in the order
 * of its text, and `end` sends the rest before the call's outcome is published. Each piece costs
 * O(1): one queue for the next loop turn, one for the timer's tick.
 */
export function createDeltaPublisher(
  nc: Pick<NatsConnection, "publish">,
  names: Names,
  options: { windowMs?: number } = {},
): DeltaPublisher {
  const windowMs = Math.max(0, options.windowMs ?? 0);
  const calls = new Map<string, Call>();
  let soon: Call[] = [];
  let later: Call[] = [];
  let timer: NodeJS.Timeout | undefined;

  const send = (c: Call, now: number) => {
    c.queued = false;
    if (c.text === "") return;
    const delta: TokenDelta = { ...c.base, index: c.next++, text: c.text };
    c.text = "";
    c.sentAt = now;
    try {
      nc.publish(names.deltaSubject(delta.groupId), JSON.stringify(delta));
    } catch {
      // Fire and forget: a delta lost to a closing connection is one a live watcher misses, and
      // the answer itself still goes out whole; nothing here may throw out of a timer or a call's end.
    }
  };
  const sendAll = (list: Call[]) => {
    const now = performance.now();
    for (const c of list) if (c.queued) send(c, now);
  };
  const sendSoon = () => {
    const list = soon;
    soon = [];
    sendAll(list);
  };
  const tick = () => {
    timer = undefined;
    const list = later;
    later = [];
    sendAll(list);
  };

  return {
    publish(delta) {
      let c = calls.get(delta.workId);
      if (!c) {
        const { text: _text, ...base } = delta;
        c = { base, text: "", next: 0, sentAt: Number.NEGATIVE_INFINITY, queued: false };
        calls.set(delta.workId, c);
      }
      c.text += delta.text;
      if (c.queued) return;
      c.queued = true;
      if (performance.now() - c.sentAt >= windowMs) {
        if (soon.length === 0) setImmediate(sendSoon);
        soon.push(c);
      } else {
        if (!timer) timer = setTimeout(tick, windowMs);
        later.push(c);
      }
    },
    end(workId) {
      const c = calls.get(workId);
      if (!c) return;
      calls.delete(workId);
      send(c, performance.now());
    },
  };
}
