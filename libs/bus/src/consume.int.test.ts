import { AppError } from "@conclave/errors";
import { createAppMetrics } from "@conclave/metrics";
import { CONSUMERS, makeEnvelope, newEventId } from "@conclave/subjects";
import { openTestBus, quietLogger, type TestBus, waitUntil } from "@conclave/testing";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EnvelopeHandler, type RunningConsumer, runConsumer } from "./consume.js";
import { provision } from "./provision.js";
import { publishEnvelope } from "./publish.js";

let bus: TestBus;
let consumer: RunningConsumer;
let other: RunningConsumer;
const seen: { content: string; delivery: number }[] = [];
const metrics = createAppMetrics("recorder", { defaults: false });

// Content decides what the handler does: fail permanently, fail twice then succeed, or succeed.
const handle: EnvelopeHandler = async (e, meta) => {
  if (e.type !== "message.posted") return;
  seen.push({ content: e.payload.content, delivery: meta.deliveryCount });
  if (e.payload.content === "poison") throw new AppError("permanent", "cannot ever handle this");
  if (e.payload.content === "multi-line") throw new AppError("permanent", "first line\r\nsecond line\nthird");
  if (e.payload.content === "flaky" && meta.deliveryCount < 3) throw new Error("not yet");
};

beforeAll(async () => {
  bus = await openTestBus();
  await provision(bus.nc, bus.names, { ackWaitMs: 2000 });
  consumer = await runConsumer({
    js: jetstream(bus.nc),
    names: bus.names,
    stream: bus.names.stream("conv"),
    consumer: CONSUMERS.recorder,
    log: quietLogger(),
    handle,
    retryBaseMs: 50,
    metrics: metrics.consumers,
  });
  // A second pool on the same stream, which has no trouble with anything valid.
  other = await runConsumer({
    js: jetstream(bus.nc),
    names: bus.names,
    stream: bus.names.stream("conv"),
    consumer: CONSUMERS.orchestrator,
    log: quietLogger(),
    handle: async () => undefined,
  });
});
afterAll(async () => {
  await other?.stop();
  await consumer?.stop();
  await bus?.dispose();
});

const groupId = newEventId();
const post = (content: string) => {
  const id = newEventId();
  return publishEnvelope(
    jetstream(bus.nc),
    bus.names,
    makeEnvelope({
      id,
      type: "message.posted",
      groupId,
      turnId: id,
      causationId: null,
      actor: { kind: "user", id: "u" },
      payload: { messageId: id, content },
    }),
  );
};

async function deadLetters() {
  const jsm = await jetstreamManager(bus.nc);
  const info = await jsm.streams.info(bus.names.stream("dlq"));
  const out: { reason: string; subject: string; body: string; consumer: string; seq: number }[] = [];
  for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
    const m = await jsm.streams.getMessage(bus.names.stream("dlq"), { seq });
    if (m)
      out.push({
        reason: m.header.get("Conclave-Dlq-Reason"),
        subject: m.header.get("Conclave-Dlq-Subject"),
        body: m.string(),
        consumer: m.header.get("Conclave-Dlq-Consumer"),
        seq: Number(m.header.get("Conclave-Dlq-Seq")),
      });
  }
  return out;
}

describe("the consumer wrapper", () => {
  it("retries a transient failure with backoff until it succeeds", async () => {
    await post("flaky");
    await waitUntil("the third delivery", () => seen.some((s) => s.content === "flaky" && s.delivery === 3));
    await new Promise((r) => setTimeout(r, 300));
    expect(seen.filter((s) => s.content === "flaky").map((s) => s.delivery)).toEqual([1, 2, 3]);
  });

  it("terminates a permanent failure at once and dead-letters it with the reason", async () => {
    await post("poison");
    const letters = await waitUntil("a dead letter", async () =>
      (await deadLetters()).find((l) => l.body.includes("poison")) ? deadLetters() : undefined,
    );
    const letter = letters.find((l) => l.body.includes("poison"));
    expect(letter?.reason).toMatch(/permanent: cannot ever handle this/);
    expect(seen.filter((s) => s.content === "poison")).toHaveLength(1);
  });

  it("dead-letters a failure whose reason spans lines (a header holds one line)", async () => {
    await post("multi-line");
    const letter = await waitUntil("a dead letter", async () =>
      (await deadLetters()).find((l) => l.body.includes("multi-line")),
    );
    expect(letter.reason).toBe("permanent: first line second line third");
    expect(seen.filter((s) => s.content === "multi-line")).toHaveLength(1);
  });

  it("never retries a message that fails its schema, and names the failing paths", async () => {
    const js = jetstream(bus.nc);
    await js.publish(
      bus.names.convSubject(groupId, "message.posted"),
      JSON.stringify({ id: "x", type: "message.posted" }),
    );
    await js.publish(bus.names.convSubject(groupId, "message.posted"), "not json at all");
    const letters = await waitUntil("two dead letters", async () => {
      const l = await deadLetters();
      return l.filter((x) => x.reason.startsWith("schema") || x.reason.startsWith("body")).length >= 2
        ? l
        : undefined;
    });
    expect(letters.some((l) => /^schema: .*id/.test(l.reason))).toBe(true);
    expect(letters.some((l) => l.reason === "body is not JSON")).toBe(true);
  });

  it("terminates a poison once on this server: one dead letter per consumer, no redelivery", async () => {
    const js = jetstream(bus.nc);
    const { seq } = await js.publish(bus.names.convSubject(groupId, "message.posted"), "twice poisoned");
    const ofIt = async () => (await deadLetters()).filter((l) => l.seq === seq);
    await waitUntil("a letter from each consumer", async () =>
      (await ofIt()).length >= 2 ? true : undefined,
    );
    const jsm = await jetstreamManager(bus.nc);
    const stream = bus.names.stream("conv");
    const before = await Promise.all(
      [CONSUMERS.recorder, CONSUMERS.orchestrator].map((c) => jsm.consumers.info(stream, c)),
    );
    // Past ack_wait (2 s), a message the server did not take as terminated comes back.
    await new Promise((r) => setTimeout(r, 3000));
    for (const [i, c] of [CONSUMERS.recorder, CONSUMERS.orchestrator].entries()) {
      const info = await jsm.consumers.info(stream, c);
      expect(info.num_redelivered, c).toBe(before[i]?.num_redelivered);
      expect(info.num_ack_pending, c).toBe(0);
    }
    expect((await ofIt()).map((l) => l.consumer).sort()).toEqual([
      CONSUMERS.orchestrator,
      CONSUMERS.recorder,
    ]);
  });

  it("counts its decisions, redeliveries and dead letters, and samples its consumer's lag", async () => {
    const series = async (name: string, labels: Record<string, string> = {}) => {
      // A histogram's `_count` is one of its values.
      const base = name.replace(/_count$/, "");
      const { values } = (await metrics.registry.getSingleMetric(base)?.get()) ?? { values: [] };
      return values
        .filter((v) => ((v as { metricName?: string }).metricName ?? base) === name)
        .filter((v) => Object.entries(labels).every(([k, want]) => String(v.labels[k]) === want))
        .reduce((sum, v) => sum + v.value, 0);
    };
    const mine = { consumer: CONSUMERS.recorder };
    const letters = (await deadLetters()).filter((l) => l.consumer === CONSUMERS.recorder);
    expect(letters.length).toBe(5);
    expect(await series("conclave_dead_letters_total", mine)).toBe(letters.length);
    // The flaky message failed twice; the two permanent failures were terminated by the handler's error.
    const count = "conclave_consumer_handler_duration_seconds_count";
    expect(await series(count, { ...mine, outcome: "retry" })).toBe(2);
    expect(await series(count, { ...mine, outcome: "term" })).toBe(2);
    expect(await series(count, { ...mine, outcome: "ack" })).toBe(1);
    expect(await series("conclave_consumer_redeliveries_total", mine)).toBe(2);
    await metrics.render();
    expect(await series("conclave_consumer_pending", mine)).toBe(0);
    expect(await series("conclave_consumer_ack_pending", mine)).toBe(0);
  });
});
