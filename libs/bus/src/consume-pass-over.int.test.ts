import { createAppMetrics } from "@conclave/metrics";
import { CONSUMERS, makeEnvelope, newEventId } from "@conclave/subjects";
import { openTestBus, quietLogger, type TestBus, waitUntil } from "@conclave/testing";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningConsumer, runConsumer } from "./consume.js";
import { provision } from "./provision.js";
import { publishEnvelope } from "./publish.js";

let bus: TestBus;
let consumer: RunningConsumer;
const handled: string[] = [];
const metrics = createAppMetrics("orchestrator", { defaults: false });

beforeAll(async () => {
  bus = await openTestBus();
  await provision(bus.nc, bus.names, { ackWaitMs: 1000 });
  consumer = await runConsumer({
    js: jetstream(bus.nc),
    names: bus.names,
    stream: bus.names.stream("conv"),
    consumer: CONSUMERS.orchestrator,
    log: quietLogger(),
    metrics: metrics.consumers,
    passOver: (subject) => bus.names.convTypeOf(subject) === "turn.started",
    handle: async (e) => {
      handled.push(e.type);
    },
  });
});
afterAll(async () => {
  await consumer?.stop();
  await bus?.dispose();
});

describe("a consumer's passed-over subjects", () => {
  it("are acked unread: never handled, never dead-lettered, never redelivered, and counted", async () => {
    const js = jetstream(bus.nc);
    const groupId = newEventId();
    const turnId = newEventId();
    await publishEnvelope(
      js,
      bus.names,
      makeEnvelope({
        id: newEventId(),
        type: "turn.started",
        groupId,
        turnId,
        causationId: null,
        actor: { kind: "system", id: "conclave" },
        payload: {
          messageId: turnId,
          messageSeq: 1,
          strategy: "round_robin",
          agentIds: [],
          deadline: new Date(Date.now() + 60_000).toISOString(),
        },
      }),
    );
    // Not even JSON: read, it would be dead-lettered.
    await js.publish(bus.names.convSubject(groupId, "turn.started"), "not json at all");
    await publishEnvelope(
      js,
      bus.names,
      makeEnvelope({
        id: turnId,
        type: "message.posted",
        groupId,
        turnId,
        causationId: null,
        actor: { kind: "user", id: "u" },
        payload: { messageId: turnId, content: "hello" },
      }),
    );
    await waitUntil("the message handled", () => (handled.length > 0 ? true : undefined));
    // Past ack_wait (1 s): anything not acked would have come back.
    await new Promise((r) => setTimeout(r, 1500));
    expect(handled).toEqual(["message.posted"]);
    const jsm = await jetstreamManager(bus.nc);
    const info = await jsm.consumers.info(bus.names.stream("conv"), CONSUMERS.orchestrator);
    expect(info.num_ack_pending).toBe(0);
    expect(info.num_redelivered).toBe(0);
    expect(info.delivered.stream_seq).toBe(3);
    expect((await jsm.streams.info(bus.names.stream("dlq"))).state.messages).toBe(0);
    const passed = (await metrics.registry.getSingleMetric("conclave_consumer_passed_over_total")?.get())
      ?.values;
    expect(passed?.reduce((n, v) => n + v.value, 0)).toBe(2);
  });
});
