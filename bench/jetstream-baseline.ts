import { randomUUID } from "node:crypto";
import { performance } from "node:perf_hooks";
import {
  connectBus,
  DeliverPolicy,
  type JetStreamClient,
  jetstream,
  jetstreamManager,
  type NatsConnection,
  PROVISION_DEFAULTS,
  streamConfigs,
} from "@conclave/bus";
import { type Names, names as namesOf } from "@conclave/subjects";
import { quietLogger, testEnv, uniqueNamespace, waitUntil } from "@conclave/testing";
import { headers } from "@nats-io/transport-node";

/** About the size of a `message.posted` envelope, so both sides move the same bytes. */
const PAYLOAD = JSON.stringify({ type: "bench", pad: "x".repeat(400) });
const TIMEOUT_MS = 30_000;

export interface BaselineLatency {
  /** publish start → message received by an ordered consumer, one message at a time (ms). */
  received: number[];
  /** publish start → PubAck (ms). */
  acked: number[];
}

export interface BaselineThroughput {
  messages: number;
  wallMs: number;
}

interface Bench {
  names: Names;
  pub: NatsConnection;
  sub: NatsConnection;
  js: JetStreamClient;
  serverVersion: string;
}

/**
 * Runs `body` against a throwaway copy of the conversation stream (same config as the system's) in a
 * namespace of its own; publisher and consumer use separate connections, as edge and fanout do.
 */
async function withStream<T>(url: string, body: (b: Bench) => Promise<T>): Promise<T> {
  const names = namesOf(uniqueNamespace("bench"));
  const log = quietLogger("bench");
  const pub = await connectBus({ url, name: `${names.ns}-pub`, log });
  const sub = await connectBus({ url, name: `${names.ns}-sub`, log });
  const jsm = await jetstreamManager(pub);
  const conv = streamConfigs(names, PROVISION_DEFAULTS).find((c) => c.name === names.stream("conv"));
  if (!conv) throw new Error("no conversation stream config");
  await jsm.streams.add(conv);
  try {
    return await body({ names, pub, sub, js: jetstream(pub), serverVersion: pub.info?.version ?? "?" });
  } finally {
    await jsm.streams.delete(conv.name).catch(() => undefined);
    await Promise.all([pub.close(), sub.close()]);
  }
}

/** Follows one subject filter with an ordered consumer (as fanout does) and reports each arrival. */
async function follow(
  sub: NatsConnection,
  names: Names,
  filter: string,
  onMessage: (index: number, at: number) => void,
): Promise<{ stop(): void }> {
  const consumer = await jetstream(sub).consumers.get(names.stream("conv"), {
    filter_subjects: filter,
    deliver_policy: DeliverPolicy.All,
  });
  const messages = await consumer.consume({ max_messages: 256 });
  void (async () => {
    for await (const m of messages) onMessage(Number(m.headers?.get("Bench-Index")), performance.now());
  })();
  return { stop: () => void messages.close() };
}

async function publish(js: JetStreamClient, subject: string, index: number): Promise<void> {
  const h = headers();
  h.set("Bench-Index", String(index));
  await js.publish(subject, PAYLOAD, { msgID: randomUUID(), headers: h, timeout: 5000 });
}

function deadline<T>(p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), TIMEOUT_MS);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Publishes `count` messages one at a time, each after the previous one arrived, awaiting the
 * PubAck as the edge does; the first `warmup` are not counted.
 */
export async function measureBaselineLatency(
  count: number,
  warmup: number,
  url: string = testEnv.TEST_NATS_URL,
): Promise<BaselineLatency & { serverVersion: string }> {
  return withStream(url, async ({ names, sub, js, serverVersion }) => {
    const groupId = randomUUID();
    const subject = names.convSubject(groupId, "message.posted");
    let waiting: { index: number; resolve: (at: number) => void } | undefined;
    const follower = await follow(sub, names, names.groupFilter(groupId), (index, at) => {
      if (waiting?.index === index) waiting.resolve(at);
    });
    const out: BaselineLatency = { received: [], acked: [] };
    try {
      for (let i = 0; i < warmup + count; i++) {
        const arrived = new Promise<number>((resolve) => (waiting = { index: i, resolve }));
        const t0 = performance.now();
        await publish(js, subject, i);
        const acked = performance.now();
        const received = await deadline(arrived, `baseline message ${i}`);
        if (i < warmup) continue;
        out.acked.push(acked - t0);
        out.received.push(received - t0);
      }
    } finally {
      follower.stop();
    }
    return { ...out, serverVersion };
  });
}

/**
 * Publishes `messages` messages over `groups` subjects, one sequential publisher per subject (each
 * awaiting its PubAck), and returns the wall time until a per-subject ordered consumer received all.
 */
export async function measureBaselineThroughput(
  messages: number,
  groups: number,
  url: string = testEnv.TEST_NATS_URL,
): Promise<BaselineThroughput> {
  return withStream(url, async ({ names, sub, js }) => {
    const groupIds = Array.from({ length: groups }, () => randomUUID());
    let remaining = messages;
    let allArrived: (at: number) => void = () => undefined;
    const done = new Promise<number>((resolve) => (allArrived = resolve));
    const followers = await Promise.all(
      groupIds.map((g) =>
        follow(sub, names, names.groupFilter(g), (_, at) => {
          if (--remaining === 0) allArrived(at);
        }),
      ),
    );
    try {
      // Each consumer must exist before the clock starts: one warm-up message per subject.
      remaining += groups;
      await Promise.all(groupIds.map((g) => publish(js, names.convSubject(g, "warmup"), -1)));
      await waitUntil("warm-up messages", () => remaining === messages, TIMEOUT_MS, 5);
      const t0 = performance.now();
      await Promise.all(
        groupIds.map(async (g, k) => {
          const share = Math.floor(messages / groups) + (k < messages % groups ? 1 : 0);
          for (let i = 0; i < share; i++) await publish(js, names.convSubject(g, "event"), i);
        }),
      );
      const end = await deadline(done, "baseline throughput messages");
      return { messages, wallMs: end - t0 };
    } finally {
      for (const f of followers) f.stop();
    }
  });
}
