import { describeError } from "@conclave/errors";
import type { Logger } from "@conclave/log";
import type { AnyEnvelope, Names } from "@conclave/subjects";
import { AckPolicy, DeliverPolicy, type JetStreamManager, jetstreamManager } from "@nats-io/jetstream";
import { createInbox, type Msg, type NatsConnection, type Subscription } from "@nats-io/transport-node";
import { readEnvelope } from "./read-envelope.js";

/** One group's persisted events, in stream order, from a consumer this feed keeps alive. */
export interface GroupFeed {
  /** Each valid event with its stream seq; an invalid one is logged and skipped. */
  events(): AsyncIterable<{ seq: number; event: AnyEnvelope }>;
  /** The stream seq the feed starts after: the `afterSeq` asked for, or the stream's last seq when opened from now. */
  readonly after: number;
  close(): void;
}

export interface FeedOptions {
  /**
   * `events()` ends (and the feed closes) once the reader has taken every event the stream held
   * at some moment after the feed opened: a bounded read of the history, for a catch-up.
   */
  untilCaughtUp?: boolean;
}

/** Opens a group's feed after `afterSeq` (the last seq a client saw), or from now when absent. */
export type FeedOpener = (
  groupId: string,
  afterSeq: number | undefined,
  log: Logger,
  options?: FeedOptions,
) => Promise<GroupFeed>;

export interface FeedTiming {
  /** How long one pull waits on the server; an idle feed costs one pull (and two heartbeats) per period. */
  pullExpiresMs: number;
  /** Pause between attempts to reopen the consumer while JetStream is not back yet. */
  retryMs: number;
}

export const FEED_TIMING: FeedTiming = { pullExpiresMs: 30_000, retryMs: 250 };

/** Events pulled ahead of the reader at most: a slow reader slows its own feed, not memory. */
const BATCH = 256;
const JS_API = "$JS.API";
const nanos = (ms: number) => Math.round(ms * 1_000_000);

/** The feeds of one app (the fanout's sockets and SSE streams, the edge's waits for a turn's outcome). */
export function groupFeeds(nc: NatsConnection, names: Names, timing: Partial<FeedTiming> = {}): FeedOpener {
  const t = { ...FEED_TIMING, ...timing };
  const jsm = jetstreamManager(nc, { checkAPI: false });
  return async (groupId, afterSeq, log, options = {}) =>
    openGroupFeed({
      nc,
      jsm: await jsm,
      names,
      groupId,
      afterSeq,
      log,
      timing: t,
      untilCaughtUp: options.untilCaughtUp ?? false,
    });
}

interface Pull {
  reply: string;
  /** Events it may still deliver. */
  left: number;
  deadline: ReturnType<typeof setTimeout>;
}

/**
 * Not the client's ordered consumer, which counts a pull as open until the server's 408 says how
 * much of it is left: nats-server 2.9 drops that 408 when an event lands as the pull expires, and
 * after a restart the recreated consumer is asked only for what the dead pulls had delivered. Both
 * left no pull open until two heartbeats were missed (30–45 s). Here a pull also ends at its own
 * deadline, and a reconnect, a lost consumer or a gap reopens one at once from the last seq + 1.
 */
async function openGroupFeed(o: {
  nc: NatsConnection;
  jsm: JetStreamManager;
  names: Names;
  groupId: string;
  afterSeq: number | undefined;
  log: Logger;
  timing: FeedTiming;
  untilCaughtUp: boolean;
}): Promise<GroupFeed> {
  const { nc, jsm, names, groupId, afterSeq, log, timing, untilCaughtUp } = o;
  const stream = names.stream("conv");
  const heartbeatMs = Math.max(500, Math.floor(timing.pullExpiresMs / 2));
  // An app may own replies on its own inbox prefix only.
  const inboxPrefix = (nc as NatsConnection & { options?: { inboxPrefix?: string } }).options?.inboxPrefix;
  const namePrefix = `feed_${createInbox()
    .slice(-22)
    .replace(/[^A-Za-z0-9]/g, "")}`;
  const queue: { seq: number; event: AnyEnvelope }[] = [];
  let wake: (() => void) | undefined;
  let closed = false;
  let linkDown = false;
  let generation = 0;
  let consumer: string | undefined;
  let sub: Subscription | undefined;
  /** The next stream seq the reader should get. */
  let nextSeq = afterSeq === undefined ? undefined : afterSeq + 1;
  let lastDseq = 0;
  let pulls = 0;
  let pull: Pull | undefined;
  let heard = Date.now();
  let reopening = false;
  let inboxBase = "";
  /** The consumer had nothing more to deliver at some moment (every event before it is in the queue or read). */
  let caughtUp = false;

  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };

  const endPull = () => {
    if (pull) clearTimeout(pull.deadline);
    pull = undefined;
  };

  /** A bounded read that caught up needs its pull and its consumer no more; the reader drains the queue. */
  const finishRead = () => {
    endPull();
    sub?.unsubscribe();
    sub = undefined;
    if (consumer) jsm.consumers.delete(stream, consumer).catch(() => undefined);
    consumer = undefined;
  };

  const pullNext = () => {
    if (closed || linkDown || reopening || pull || !consumer) return;
    if (untilCaughtUp && caughtUp) return;
    const batch = BATCH - queue.length;
    if (batch < BATCH / 4) return;
    const reply = `${inboxBase}.${++pulls}`;
    heard = Date.now();
    pull = {
      reply,
      left: batch,
      // The server's 408 may never come (2.9): the pull is over at its expiry whatever it says.
      deadline: setTimeout(() => {
        if (pull?.reply !== reply) return;
        endPull();
        pullNext();
      }, timing.pullExpiresMs + 50),
    };
    nc.publish(
      `${JS_API}.CONSUMER.MSG.NEXT.${stream}.${consumer}`,
      JSON.stringify({ batch, expires: nanos(timing.pullExpiresMs), idle_heartbeat: nanos(heartbeatMs) }),
      { reply },
    );
  };

  const onMessage = (gen: number, m: Msg) => {
    if (gen !== generation || closed) return;
    // A bounded read takes nothing stored after it caught up.
    if (untilCaughtUp && caughtUp) return;
    heard = Date.now();
    if (!m.reply?.startsWith("$JS.ACK.")) return onStatus(m);
    const info = ackInfo(m.reply);
    if (!info || info.consumer !== consumer) return;
    if (info.deliverySeq !== lastDseq + 1) {
      log.warn({ groupId, expected: lastDseq + 1, got: info.deliverySeq }, "feed gap; reopening");
      void reopen();
      return;
    }
    lastDseq = info.deliverySeq;
    nextSeq = info.streamSeq + 1;
    const read = readEnvelope(names, m);
    if (read.ok) {
      queue.push({ seq: info.streamSeq, event: read.envelope });
      notify();
    } else {
      log.error(
        { groupId, seq: info.streamSeq, reason: read.reason },
        "invalid event in stream; not relayed",
      );
    }
    if (info.pending === 0 && !caughtUp) {
      caughtUp = true;
      if (untilCaughtUp) finishRead();
      notify();
    }
    if (pull && --pull.left <= 0) {
      endPull();
      pullNext();
    }
  };

  const onStatus = (m: Msg) => {
    const code = m.headers?.code ?? 0;
    if (code === 100) return;
    const description = m.headers?.description ?? "";
    if (code === 503 || (code === 409 && /consumer deleted/i.test(description)) || code === 404) {
      log.warn({ groupId, code, description }, "feed consumer gone; reopening");
      void reopen();
      return;
    }
    if (code === 400) log.error({ groupId, code, description }, "pull refused");
    // 408 (expired) or another end of a pull: the current one's end pulls again; an older one's is stale.
    if (pull && m.subject === pull.reply) {
      endPull();
      pullNext();
    }
  };

  const open = async () => {
    const gen = ++generation;
    const name = `${namePrefix}_${gen}`;
    const ci = await jsm.consumers.add(stream, {
      name,
      filter_subject: names.groupFilter(groupId),
      ack_policy: AckPolicy.None,
      max_deliver: 1,
      mem_storage: true,
      num_replicas: 1,
      inactive_threshold: nanos(5 * 60_000),
      ...(nextSeq === undefined
        ? { deliver_policy: DeliverPolicy.New }
        : { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: nextSeq }),
    });
    if (closed) {
      jsm.consumers.delete(stream, name).catch(() => undefined);
      return;
    }
    // "From now" is pinned to a seq at once, so a reopen neither replays the history nor skips.
    if (nextSeq === undefined) nextSeq = ci.delivered.stream_seq + 1;
    if (ci.num_pending === 0) caughtUp = true;
    const previous = { sub, consumer };
    inboxBase = createInbox(inboxPrefix);
    sub = nc.subscribe(`${inboxBase}.*`, { callback: (_err, m) => onMessage(gen, m) });
    consumer = name;
    lastDseq = 0;
    endPull();
    previous.sub?.unsubscribe();
    if (previous.consumer) jsm.consumers.delete(stream, previous.consumer).catch(() => undefined);
    heard = Date.now();
    if (untilCaughtUp && caughtUp) finishRead();
  };

  /** Reopens from the last seq delivered + 1, retrying until JetStream answers or the feed is closed. */
  const reopen = async () => {
    if (reopening || closed || (untilCaughtUp && caughtUp)) return;
    reopening = true;
    endPull();
    let attempt = 0;
    try {
      while (!closed && !linkDown) {
        try {
          await open();
          return;
        } catch (err) {
          if (attempt++ % 20 === 0)
            log.warn({ groupId, err: describeError(err) }, "feed not reopened yet; retrying");
          await new Promise((r) => setTimeout(r, Math.min(timing.retryMs * 2 ** Math.min(attempt, 3), 1000)));
        }
      }
    } finally {
      reopening = false;
      pullNext();
    }
  };

  await open();
  const after = (nextSeq ?? 1) - 1;
  pullNext();

  // A silent pull (no event, no heartbeat for two heartbeats) means a consumer lost without a word.
  const watchdog = setInterval(() => {
    if (closed || linkDown || reopening || !pull) return;
    if (Date.now() - heard > 2 * heartbeatMs + 1000) {
      log.warn({ groupId }, "feed heard nothing for two heartbeats; reopening");
      void reopen();
    }
  }, heartbeatMs);

  const status = nc.status() as AsyncIterable<{ type: string }> & { stop?: () => void };
  void (async () => {
    for await (const s of status) {
      if (closed) break;
      if (s.type === "disconnect") {
        linkDown = true;
        endPull();
      } else if (s.type === "reconnect") {
        linkDown = false;
        // A restarted server has lost the in-memory consumer and every pull: reopen now, not after a pull's expiry.
        void reopen();
      }
    }
  })();

  const close = () => {
    if (closed) return;
    closed = true;
    clearInterval(watchdog);
    endPull();
    status.stop?.();
    sub?.unsubscribe();
    if (consumer) jsm.consumers.delete(stream, consumer).catch(() => undefined);
    notify();
  };

  return {
    after,
    async *events() {
      while (!closed) {
        const next = queue.shift();
        if (next) {
          if (!pull) pullNext();
          yield next;
          continue;
        }
        if (untilCaughtUp && caughtUp) {
          close();
          return;
        }
        await new Promise<void>((r) => {
          wake = r;
        });
      }
    },
    close,
  };
}

/** `$JS.ACK.<stream>.<consumer>.<delivered>.<sseq>.<dseq>.<ts>.<pending>`, or with domain and account hash. */
function ackInfo(
  reply: string,
): { consumer: string; streamSeq: number; deliverySeq: number; pending: number } | undefined {
  const t = reply.split(".");
  if (t.length === 9) t.splice(2, 0, "_", "");
  if (t.length < 11) return undefined;
  const streamSeq = Number(t[7]);
  const deliverySeq = Number(t[8]);
  const pending = Number(t[10]);
  const consumer = t[5];
  if (!consumer || !Number.isSafeInteger(streamSeq) || !Number.isSafeInteger(deliverySeq)) return undefined;
  return { consumer, streamSeq, deliverySeq, pending: Number.isSafeInteger(pending) ? pending : -1 };
}
