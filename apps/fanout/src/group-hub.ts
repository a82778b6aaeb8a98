import type { FeedOpener, GroupFeed, NatsConnection } from "@conclave/bus";
import { describeError } from "@conclave/errors";
import type { Logger } from "@conclave/log";
import { type AnyEnvelope, type Names, TokenDelta } from "@conclave/subjects";
import { inSpanSync, SpanKind, tracingRecords } from "@conclave/telemetry";

/** One event as every subscriber of its group gets it: validated and serialized once. */
export interface EventFrame {
  readonly seq: number;
  /** The event's type (SSE's `event:` field). */
  readonly type: string;
  /** The WebSocket frame `{"type":"event","groupId","seq","event"}`, as UTF-8. */
  readonly bytes: Buffer;
  /** SSE's `data`, `{"groupId","seq","event"}`: the same JSON without its `type`, built on first use. */
  sse(): string;
}

/** What a hub delivers to: one WebSocket subscription or one SSE stream. */
export interface HubSubscriber {
  /** Each event after the subscriber's position, exactly once, in seq order. */
  event(frame: EventFrame): void;
  /** Each token delta of the group while subscribed (live only, never replayed). */
  delta(frame: Buffer): void;
  /** Asked between the events of a catch-up: a promise to wait on while the subscriber has too much to write. */
  paced?(): Promise<void> | undefined;
  /** The catch-up could not be read: the subscription is over (the client may subscribe again from its last seq). */
  failed(err: unknown): void;
}

export interface HubSubscription {
  /** Delivers the events after `afterSeq` (from the hub's memory, else a catch-up feed), then the live tail. */
  start(): void;
  stop(): void;
}

/** The fanout's live feeds: one per group with subscribers, shared by all of them. */
export interface GroupHubs {
  /** Resolves once the group's live feed is open (the first subscriber opens it); nothing is delivered before `start()`. */
  subscribe(
    groupId: string,
    afterSeq: number | undefined,
    subscriber: HubSubscriber,
    log: Logger,
  ): Promise<HubSubscription>;
  close(): void;
}

export interface HubLimits {
  /** Recent frames each hub keeps for subscribers resuming a little behind it, at most this many… */
  recentFrames: number;
  /** …and this many bytes. */
  recentBytes: number;
}

export const HUB_LIMITS: HubLimits = { recentFrames: 256, recentBytes: 512 * 1024 };

/** `{"type":"event",` — what a WebSocket frame has before SSE's `data`. */
const WS_ONLY_PREFIX = 16;

class Frame implements EventFrame {
  private sseData: string | undefined;
  constructor(
    readonly seq: number,
    readonly type: string,
    readonly bytes: Buffer,
  ) {}
  sse(): string {
    this.sseData ??= `{${this.bytes.toString("utf8", WS_ONLY_PREFIX)}`;
    return this.sseData;
  }
}

function frameOf(groupId: string, seq: number, event: AnyEnvelope): Frame {
  return new Frame(seq, event.type, Buffer.from(JSON.stringify({ type: "event", groupId, seq, event })));
}

interface Member {
  subscriber: HubSubscriber;
  log: Logger;
  /** The last seq it was given (or resumes after). */
  position: number;
  started: boolean;
  stopped: boolean;
  catchUp: GroupFeed | undefined;
}

interface Hub {
  groupId: string;
  ready: Promise<void>;
  members: Set<Member>;
  /** Members past their catch-up: each live event goes to them as it is read. */
  live: Set<Member>;
  /** The latest frames; every valid event of the group in (floor, position] is here. */
  recent: Frame[];
  recentBytes: number;
  floor: number;
  /** The last seq the live feed read (its start position before any). */
  position: number;
  closed: boolean;
  close(): void;
}

/**
 * One JetStream consumer and one core subscription (token deltas) per group per process, whatever
 * its number of subscribers; each event is read, validated and serialized once and the same bytes
 * go to every subscriber. A subscriber resuming from before the hub's recent frames reads a
 * catch-up feed of its own until it reaches them, then joins the live tail with no gap and no
 * duplicate. The hub closes its consumer when its last subscriber leaves.
 */
export function createGroupHubs(deps: {
  feeds: FeedOpener;
  nc: NatsConnection;
  names: Names;
  log: Logger;
  limits?: Partial<HubLimits>;
}): GroupHubs {
  const { feeds, nc, names } = deps;
  const limits = { ...HUB_LIMITS, ...deps.limits };
  const hubs = new Map<string, Hub>();

  const deliver = (hub: Hub, m: Member, frame: Frame) => {
    if (frame.seq <= m.position) return;
    m.position = frame.seq;
    try {
      m.subscriber.event(frame);
    } catch (err) {
      m.log.error({ groupId: hub.groupId, err: describeError(err) }, "subscriber threw on an event");
    }
  };

  /** Hands over the recent frames after the member's position, then the live ones; synchronous, so nothing slips between. */
  const goLive = (hub: Hub, m: Member) => {
    for (const frame of hub.recent) {
      if (m.stopped) return;
      deliver(hub, m, frame);
    }
    if (m.stopped) return;
    hub.live.add(m);
  };

  const leave = (hub: Hub, m: Member) => {
    m.stopped = true;
    m.catchUp?.close();
    hub.members.delete(m);
    hub.live.delete(m);
    if (hub.members.size === 0) hub.close();
  };

  /**
   * Reads the member's own feed from its position. Done once it is within the hub's recent
   * frames, or once the feed has caught up with the stream and the recent frames still start no
   * later than they did when it opened (everything up to there was stored before it opened, so
   * was read); otherwise the hub moved on meanwhile and another round starts from where it is.
   */
  const catchUp = async (hub: Hub, m: Member) => {
    try {
      while (!m.stopped) {
        const floorAtOpen = hub.floor;
        const feed = await feeds(hub.groupId, m.position, m.log, { untilCaughtUp: true });
        m.catchUp = feed;
        if (m.stopped) break;
        for await (const { seq, event } of feed.events()) {
          if (m.stopped) break;
          deliver(hub, m, frameOf(hub.groupId, seq, event));
          if (m.stopped || m.position >= hub.floor) break;
          const wait = m.subscriber.paced?.();
          if (wait) await wait;
        }
        feed.close();
        m.catchUp = undefined;
        if (m.stopped) return;
        if (hub.floor <= Math.max(m.position, floorAtOpen)) return goLive(hub, m);
      }
    } catch (err) {
      if (m.stopped) return;
      leave(hub, m);
      m.subscriber.failed(err);
    } finally {
      m.catchUp?.close();
    }
  };

  const openHub = (groupId: string): Hub => {
    const log = deps.log;
    let feed: GroupFeed | undefined;
    let deltas: ReturnType<NatsConnection["subscribe"]> | undefined;
    const hub: Hub = {
      groupId,
      ready: Promise.resolve(),
      members: new Set(),
      live: new Set(),
      recent: [],
      recentBytes: 0,
      floor: 0,
      position: 0,
      closed: false,
      close() {
        if (hub.closed) return;
        hub.closed = true;
        if (hubs.get(groupId) === hub) hubs.delete(groupId);
        feed?.close();
        deltas?.unsubscribe();
      },
    };

    const onEvent = (seq: number, event: AnyEnvelope) => {
      const frame = frameOf(groupId, seq, event);
      hub.recent.push(frame);
      hub.recentBytes += frame.bytes.length;
      while (
        hub.recent.length > limits.recentFrames ||
        (hub.recentBytes > limits.recentBytes && hub.recent.length > 1)
      ) {
        const gone = hub.recent.shift();
        if (!gone) break;
        hub.recentBytes -= gone.bytes.length;
        hub.floor = gone.seq;
      }
      hub.position = seq;
      // Nothing is published or logged per delivery: its span is worth its cost only when recorded.
      if (!tracingRecords()) {
        for (const m of hub.live) deliver(hub, m, frame);
        return;
      }
      inSpanSync(
        "conclave.fanout",
        `deliver ${event.type}`,
        {
          kind: SpanKind.CONSUMER,
          parent: event.traceparent,
          attributes: { "messaging.system": "nats", "conclave.group.id": groupId, "conclave.seq": seq },
        },
        (span) => {
          for (const m of hub.live) deliver(hub, m, frame);
          span.setAttribute("conclave.subscribers", hub.live.size);
        },
      );
    };

    const onDelta = (msg: { json(): unknown }) => {
      let raw: unknown;
      try {
        raw = msg.json();
      } catch {
        return;
      }
      const d = TokenDelta.safeParse(raw);
      if (!d.success) return;
      const frame = Buffer.from(JSON.stringify({ type: "delta", ...d.data }));
      for (const m of hub.members) if (m.started && !m.stopped) m.subscriber.delta(frame);
    };

    hub.ready = (async () => {
      const opened = await feeds(groupId, undefined, log);
      feed = opened;
      if (hub.closed) {
        opened.close();
        return;
      }
      hub.floor = opened.after;
      hub.position = opened.after;
      deltas = nc.subscribe(names.deltaSubject(groupId), {
        callback: (err, m) => {
          if (!err && !hub.closed) onDelta(m);
        },
      });
      void (async () => {
        try {
          for await (const { seq, event } of opened.events()) onEvent(seq, event);
        } catch (err) {
          log.error({ groupId, err: describeError(err) }, "group feed failed");
          for (const m of [...hub.members]) {
            leave(hub, m);
            m.subscriber.failed(err);
          }
        }
      })();
    })();
    hub.ready.catch(() => hub.close());
    return hub;
  };

  return {
    async subscribe(groupId, afterSeq, subscriber, log) {
      let hub = hubs.get(groupId);
      if (!hub || hub.closed) {
        hub = openHub(groupId);
        hubs.set(groupId, hub);
      }
      const m: Member = {
        subscriber,
        log,
        position: afterSeq ?? 0,
        started: false,
        stopped: false,
        catchUp: undefined,
      };
      hub.members.add(m);
      const h = hub;
      try {
        await h.ready;
      } catch (err) {
        leave(h, m);
        throw err;
      }
      return {
        start() {
          if (m.started || m.stopped) return;
          m.started = true;
          if (h.closed) return;
          if (afterSeq === undefined) {
            m.position = h.position;
            h.live.add(m);
          } else if (afterSeq >= h.floor) goLive(h, m);
          else void catchUp(h, m);
        },
        stop() {
          if (!m.stopped) leave(h, m);
        },
      };
    },
    close() {
      for (const hub of [...hubs.values()]) {
        for (const m of hub.members) {
          m.stopped = true;
          m.catchUp?.close();
        }
        hub.members.clear();
        hub.live.clear();
        hub.close();
      }
    },
  };
}
