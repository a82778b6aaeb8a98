import type { Histogram } from "prom-client";
import type { AppMetrics } from "./app-metrics.js";
import { withTimeout } from "./timeout.js";

/** What JetStream's consumer info says about a durable consumer's backlog. */
export interface ConsumerLag {
  num_pending: number;
  num_ack_pending: number;
  num_redelivered: number;
}

/**
 * How one handled message ended: acked, deferred by its handler (a timer not yet due), failed and
 * retried later, terminated (dead-lettered), or handed back at shutdown.
 */
export type ConsumerOutcome = "ack" | "deferred" | "retry" | "term" | "handed_back";

/** What the consumer wrapper reports about one consumer. */
export interface ConsumerObserver {
  handled(outcome: ConsumerOutcome, seconds: number): void;
  /** A delivery after the first one. */
  redelivered(): void;
  deadLettered(): void;
  /** A message on a subject the app does not act on, acked unread. */
  passedOver(): void;
}

export interface TrackedConsumer {
  stream: string;
  consumer: string;
  /** The consumer's current info (one NATS request). */
  info(): Promise<ConsumerLag>;
}

export interface ConsumerMetrics {
  /** Registers a running consumer; its lag is sampled at scrape time. Returns its observer. */
  track(c: TrackedConsumer): ConsumerObserver & { untrack(): void };
  /** The consumers this app runs, for health checks. */
  tracked(): readonly TrackedConsumer[];
}

/** Scrapes closer together than this reuse the last consumer info: no request storm from scrapers. */
const LAG_CACHE_MS = 2000;
const LAG_TIMEOUT_MS = 2000;

/** The consumer wrapper's series on one app's registry. */
export function consumerMetrics(m: Pick<AppMetrics, "counter" | "gauge" | "histogram">): ConsumerMetrics {
  const labels = ["stream", "consumer"] as const;
  const tracked = new Set<TrackedConsumer>();
  let sampled: { at: number; lags: Promise<Map<TrackedConsumer, ConsumerLag | undefined>> } | undefined;
  const sample = () => {
    if (!sampled || Date.now() - sampled.at > LAG_CACHE_MS) {
      const all = [...tracked];
      sampled = {
        at: Date.now(),
        lags: Promise.all(all.map((c) => withTimeout(c.info(), LAG_TIMEOUT_MS).catch(() => undefined))).then(
          (infos) => new Map(all.map((c, i) => [c, infos[i]])),
        ),
      };
    }
    return sampled.lags;
  };
  const lagGauge = (name: string, help: string, pick: (l: ConsumerLag) => number) =>
    m.gauge(name, help, labels, async (g) => {
      g.reset();
      for (const [c, lag] of await sample())
        if (lag) g.set({ stream: c.stream, consumer: c.consumer }, pick(lag));
    });
  lagGauge("conclave_consumer_pending", "Messages not yet delivered to the consumer.", (l) => l.num_pending);
  lagGauge(
    "conclave_consumer_ack_pending",
    "Messages delivered and not yet acknowledged.",
    (l) => l.num_ack_pending,
  );
  lagGauge(
    "conclave_consumer_redelivered",
    "Messages delivered more than once and not yet acknowledged.",
    (l) => l.num_redelivered,
  );
  const handled = m.histogram(
    "conclave_consumer_handler_duration_seconds",
    "Time from a message's validation to its ack, retry or termination, by outcome.",
    [...labels, "outcome"],
  );
  const redeliveries = m.counter(
    "conclave_consumer_redeliveries_total",
    "Deliveries after a message's first one.",
    labels,
  );
  const deadLetters = m.counter(
    "conclave_dead_letters_total",
    "Messages terminated and dead-lettered.",
    labels,
  );
  const passedOver = m.counter(
    "conclave_consumer_passed_over_total",
    "Messages on subjects the app does not act on, acked without being read.",
    labels,
  );
  return {
    tracked: () => [...tracked],
    track(c) {
      tracked.add(c);
      const l = { stream: c.stream, consumer: c.consumer };
      // Children bound once: the hot path does no label lookup.
      const byOutcome: Record<ConsumerOutcome, Histogram.Internal<string>> = {
        ack: handled.labels({ ...l, outcome: "ack" }),
        deferred: handled.labels({ ...l, outcome: "deferred" }),
        retry: handled.labels({ ...l, outcome: "retry" }),
        term: handled.labels({ ...l, outcome: "term" }),
        handed_back: handled.labels({ ...l, outcome: "handed_back" }),
      };
      const redelivered = redeliveries.labels(l);
      const dead = deadLetters.labels(l);
      const passed = passedOver.labels(l);
      return {
        handled: (outcome, seconds) => byOutcome[outcome].observe(seconds),
        redelivered: () => redelivered.inc(),
        deadLettered: () => dead.inc(),
        passedOver: () => passed.inc(),
        untrack: () => tracked.delete(c),
      };
    },
  };
}
