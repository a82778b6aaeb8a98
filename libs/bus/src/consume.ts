import { describeError, isAppError } from "@conclave/errors";
import type { Logger } from "@conclave/log";
import type { ConsumerMetrics, ConsumerObserver } from "@conclave/metrics";
import type { AnyEnvelope, Names } from "@conclave/subjects";
import { inSpan, markFailed, type Span, SpanKind } from "@conclave/telemetry";
import type { ConsumerMessages, JetStreamClient, JsMsg } from "@nats-io/jetstream";
import { headers } from "@nats-io/transport-node";
import { readEnvelope } from "./read-envelope.js";

/** Headers of a dead letter (`<ns>.dlq.<stream>`); its body is the original message's bytes. */
export const DLQ_HEADERS = {
  reason: "Conclave-Dlq-Reason",
  stream: "Conclave-Dlq-Stream",
  consumer: "Conclave-Dlq-Consumer",
  subject: "Conclave-Dlq-Subject",
  seq: "Conclave-Dlq-Seq",
} as const;

/** One dead letter per consumer and message: two consumers' letters of one message never collapse. */
export function deadLetterId(stream: string, consumer: string, seq: number): string {
  return `${stream}:${consumer}:${seq}`;
}

/** What a handler may ask for instead of an ack: redelivery after a delay (e.g. a timer not yet due). */
// biome-ignore lint/suspicious/noConfusingVoidType: a handler that returns nothing is acked
export type HandlerResult = void | { retryInMs: number };

export interface MessageMeta {
  seq: number;
  subject: string;
  /** 1 on first delivery. */
  deliveryCount: number;
  log: Logger;
  /** Aborted when the consumer stops and the drain grace period is over: give the message back. */
  signal: AbortSignal;
}

export type EnvelopeHandler = (envelope: AnyEnvelope, meta: MessageMeta) => Promise<HandlerResult>;

export interface ConsumerOptions {
  js: JetStreamClient;
  names: Names;
  stream: string;
  consumer: string;
  log: Logger;
  handle: EnvelopeHandler;
  /** Messages handled at once by this process. */
  concurrency?: number;
  /** Deliveries before a failing message is dead-lettered; keep equal to the consumer's max_deliver. */
  maxDeliver?: number;
  /** Backoff for retries: base × 2^(delivery-1), capped, with jitter. */
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** How often a long handler tells JetStream it is still working (below the consumer's ack_wait). */
  workingEveryMs?: number;
  /** On stop, how long in-flight handlers may finish before their signal is aborted. */
  drainGraceMs?: number;
  /**
   * Failpoint for crash tests: after this many handled messages, the process kills itself with
   * SIGKILL after the handler's side effects and before the ack. Never set in production.
   */
  failpoint?: { consumer?: string | undefined; after: number } | undefined;
  /** The app's consumer metrics: handler latency by outcome, redeliveries, dead letters, lag. */
  metrics?: ConsumerMetrics | undefined;
  /**
   * Subjects this app does not act on (its handler would ignore them): acked as they come, without
   * being read, validated, traced or timed. Another consumer of the same stream still validates
   * them; here an invalid one is not dead-lettered, as nothing here depends on it.
   */
  passOver?: ((subject: string) => boolean) | undefined;
}

export interface RunningConsumer {
  /** Stops pulling, waits for in-flight handlers to settle their messages. */
  stop(): Promise<void>;
  readonly inFlight: number;
}

/** The decision for a failed delivery: retry later, or give up (terminate and dead-letter). */
export function decideFailure(
  error: unknown,
  deliveryCount: number,
  o: { maxDeliver: number; retryBaseMs: number; retryMaxMs: number; random?: () => number },
): { action: "term"; reason: string } | { action: "nak"; delayMs: number } {
  if (isAppError(error) && error.permanent)
    return { action: "term", reason: `${error.code}: ${error.message}` };
  if (deliveryCount >= o.maxDeliver)
    return { action: "term", reason: `gave up after ${deliveryCount} deliveries: ${describeError(error)}` };
  const exp = Math.min(o.retryMaxMs, o.retryBaseMs * 2 ** (deliveryCount - 1));
  const jitter = 0.5 + (o.random ?? Math.random)() * 0.5;
  return { action: "nak", delayMs: Math.round(exp * jitter) };
}

/**
 * The one consumer wrapper: validates each envelope against the catalog, runs the handler, and
 * decides ack, nak-with-delay, or term with a dead letter. A schema failure is never retried.
 */
export async function runConsumer(o: ConsumerOptions): Promise<RunningConsumer> {
  const concurrency = o.concurrency ?? 32;
  const policy = {
    maxDeliver: o.maxDeliver ?? 20,
    retryBaseMs: o.retryBaseMs ?? 250,
    retryMaxMs: o.retryMaxMs ?? 30_000,
  };
  const workingEveryMs = o.workingEveryMs ?? 10_000;
  const consumer = await o.js.consumers.get(o.stream, o.consumer);
  const observe: ConsumerObserver & { untrack(): void } = o.metrics
    ? o.metrics.track({ stream: o.stream, consumer: o.consumer, info: () => consumer.info() })
    : UNOBSERVED;
  const messages: ConsumerMessages = await consumer.consume({ max_messages: concurrency });
  const log = o.log.child({ consumer: o.consumer });
  const inFlight = new Set<Promise<void>>();
  let handled = 0;
  const crashAfter =
    o.failpoint && (o.failpoint.consumer ?? o.consumer) === o.consumer ? o.failpoint.after : undefined;
  const shutdown = new AbortController();
  let stopping = false;
  let waiters: (() => void)[] = [];

  const deadLetter = async (msg: JsMsg, reason: string) => {
    const h = headers();
    h.set(DLQ_HEADERS.reason, headerValue(reason));
    h.set(DLQ_HEADERS.stream, o.stream);
    h.set(DLQ_HEADERS.consumer, o.consumer);
    h.set(DLQ_HEADERS.subject, msg.subject);
    h.set(DLQ_HEADERS.seq, String(msg.seq));
    await o.js.publish(o.names.dlqSubject(o.stream), msg.data, {
      headers: h,
      msgID: deadLetterId(o.stream, o.consumer, msg.seq),
    });
    observe.deadLettered();
  };

  const terminate = async (msg: JsMsg, reason: string, mlog: Logger) => {
    mlog.error({ reason }, "message terminated and dead-lettered");
    try {
      await deadLetter(msg, reason);
    } catch (e) {
      // Keep it for redelivery rather than lose it: the dead letter did not land.
      mlog.error({ err: describeError(e) }, "dead-letter publish failed; will retry");
      msg.nak(1000);
      return;
    }
    // A plain +TERM: nats-server 2.9 does not parse `+TERM <reason>` and redelivers; the reason is in the letter.
    msg.term();
  };

  const handleOne = async (msg: JsMsg) => {
    if (o.passOver?.(msg.subject)) {
      msg.ack();
      observe.passedOver();
      return;
    }
    const deliveryCount = msg.info.deliveryCount;
    if (deliveryCount > 1) observe.redelivered();
    const parsed = readEnvelope(o.names, msg);
    if (!parsed.ok) {
      await terminate(msg, parsed.reason, log.child({ seq: msg.seq, subject: msg.subject }));
      return;
    }
    const e = parsed.envelope;
    const mlog = log.child({
      eventId: e.id,
      type: e.type,
      groupId: e.groupId,
      turnId: e.turnId,
      seq: msg.seq,
    });
    // A child of the span that decided the envelope: what the handler logs and publishes joins its trace.
    await inSpan(
      "conclave.bus",
      `process ${e.type}`,
      {
        kind: SpanKind.CONSUMER,
        parent: e.traceparent,
        attributes: {
          "messaging.system": "nats",
          "messaging.operation.type": "process",
          "messaging.destination.name": msg.subject,
          "messaging.consumer.group.name": o.consumer,
          "messaging.message.id": e.id,
          "conclave.group.id": e.groupId,
          ...(e.turnId ? { "conclave.turn.id": e.turnId } : {}),
          "conclave.delivery": deliveryCount,
        },
      },
      (span) => settle(msg, e, mlog, span),
    );
  };

  /** Runs the handler on one valid envelope and acks, naks or terminates its message. */
  const settle = async (msg: JsMsg, e: AnyEnvelope, mlog: Logger, span: Span) => {
    const deliveryCount = msg.info.deliveryCount;
    const keepAlive = setInterval(() => msg.working(), workingEveryMs);
    const t0 = performance.now();
    const took = () => (performance.now() - t0) / 1000;
    try {
      const result = await o.handle(e, {
        seq: msg.seq,
        subject: msg.subject,
        deliveryCount,
        log: mlog,
        signal: shutdown.signal,
      });
      handled++;
      if (crashAfter !== undefined && handled >= crashAfter) {
        mlog.warn("failpoint: crashing before ack");
        process.kill(process.pid, "SIGKILL");
      }
      // A plain ack, not a confirmed one: a lost ack only means a redelivery, which every handler
      // takes idempotently, and waiting for the server's confirmation cost a round trip per message.
      if (result && "retryInMs" in result) {
        msg.nak(Math.max(0, result.retryInMs));
        observe.handled("deferred", took());
      } else {
        msg.ack();
        observe.handled("ack", took());
      }
    } catch (error) {
      if (shutdown.signal.aborted) {
        mlog.info("interrupted by shutdown; handed back for redelivery");
        msg.nak();
        observe.handled("handed_back", took());
        return;
      }
      markFailed(span, error);
      const decision = decideFailure(error, deliveryCount, policy);
      observe.handled(decision.action === "term" ? "term" : "retry", took());
      if (decision.action === "term") await terminate(msg, decision.reason, mlog);
      else {
        mlog.warn(
          { err: describeError(error), deliveryCount, retryInMs: decision.delayMs },
          "handler failed; will retry",
        );
        msg.nak(decision.delayMs);
      }
    } finally {
      clearInterval(keepAlive);
    }
  };

  const loop = (async () => {
    for await (const msg of messages) {
      // Pulled but not started before the stop: give it straight back.
      if (stopping) {
        msg.nak();
        continue;
      }
      while (inFlight.size >= concurrency) await new Promise<void>((r) => waiters.push(r));
      if (stopping) {
        msg.nak();
        continue;
      }
      const p = handleOne(msg)
        .catch((e: unknown) => log.error({ err: describeError(e) }, "unexpected consumer error"))
        .finally(() => {
          inFlight.delete(p);
          const w = waiters;
          waiters = [];
          for (const r of w) r();
        });
      inFlight.add(p);
    }
  })();

  return {
    get inFlight() {
      return inFlight.size;
    },
    async stop() {
      stopping = true;
      messages.stop();
      const grace = setTimeout(() => shutdown.abort(), o.drainGraceMs ?? 5000);
      await loop.catch(() => undefined);
      await Promise.allSettled([...inFlight]);
      clearTimeout(grace);
      observe.untrack();
    },
  };
}

const UNOBSERVED: ConsumerObserver & { untrack(): void } = {
  handled: () => undefined,
  redelivered: () => undefined,
  deadLettered: () => undefined,
  passedOver: () => undefined,
  untrack: () => undefined,
};

/** A header value on one line (a newline makes the publish throw, and the letter would never land). */
function headerValue(text: string): string {
  return text.replace(/[\r\n]+/g, " ").slice(0, 1000);
}
