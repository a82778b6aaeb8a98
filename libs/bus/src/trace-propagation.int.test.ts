import { createLogger } from "@conclave/log";
import { CONSUMERS, makeEnvelope, newEventId } from "@conclave/subjects";
import { InMemorySpanExporter, inSpan, SpanKind, startTracing, type Tracing } from "@conclave/telemetry";
import { openTestBus, type TestBus, waitUntil } from "@conclave/testing";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { afterAll, beforeAll, expect, it } from "vitest";
import { runConsumer } from "./consume.js";
import { provision } from "./provision.js";
import { publishEnvelope } from "./publish.js";

let bus: TestBus;
let tracing: Tracing;
const spans = new InMemorySpanExporter();

beforeAll(async () => {
  tracing = await startTracing({ service: "test", exporter: spans });
  bus = await openTestBus();
  await provision(bus.nc, bus.names, { ackWaitMs: 2000 });
});
afterAll(async () => {
  await bus?.dispose();
  await tracing?.shutdown();
});

it("carries the publisher's trace through JetStream: the envelope, its header, the consumer's span and its log lines", async () => {
  const lines: Record<string, unknown>[] = [];
  const log = createLogger({
    app: "test",
    level: "debug",
    destination: { write: (l: string) => void lines.push(JSON.parse(l) as Record<string, unknown>) },
  });
  const handled: { traceparent: string | undefined; replied: string }[] = [];
  const js = jetstream(bus.nc);
  const groupId = newEventId();
  const consumer = await runConsumer({
    js,
    names: bus.names,
    stream: bus.names.stream("conv"),
    consumer: CONSUMERS.orchestrator,
    log,
    handle: async (e, meta) => {
      if (e.type !== "message.posted") return;
      meta.log.info("handling");
      // What a handler publishes joins the trace of what it handles.
      const reply = makeEnvelope({
        id: newEventId(),
        type: "turn.cancel_requested",
        groupId,
        turnId: e.turnId,
        causationId: e.id,
        actor: { kind: "system", id: "test" },
        payload: { reason: "test" },
      });
      await publishEnvelope(js, bus.names, reply);
      handled.push({ traceparent: e.traceparent, replied: reply.id });
    },
  });
  try {
    const id = newEventId();
    await inSpan("test", "POST", { kind: SpanKind.SERVER }, () =>
      publishEnvelope(
        js,
        bus.names,
        makeEnvelope({
          id,
          type: "message.posted",
          groupId,
          turnId: id,
          causationId: null,
          actor: { kind: "user", id: "u" },
          payload: { messageId: id, content: "hello" },
        }),
      ),
    );
    await waitUntil("the message to be handled", () => handled.length === 1);
    const root = spans.getFinishedSpans().find((s) => s.name === "POST");
    expect(root).toBeDefined();
    const traceId = root?.spanContext().traceId;
    expect(handled[0]?.traceparent).toContain(`-${traceId}-`);

    // Stored with the trace context in its body and its header.
    const jsm = await jetstreamManager(bus.nc);
    const stored = await jsm.streams.getMessage(bus.names.stream("conv"), {
      last_by_subj: bus.names.convSubject(groupId, "turn.cancel_requested"),
    });
    const body = stored?.json<{ id: string; traceparent?: string }>();
    expect(body?.id).toBe(handled[0]?.replied);
    expect(body?.traceparent).toContain(`-${traceId}-`);
    expect(stored?.header.get("traceparent")).toBe(body?.traceparent);

    await waitUntil("the consumer span to end", () =>
      spans.getFinishedSpans().some((s) => s.name === "process message.posted"),
    );
    const processed = spans.getFinishedSpans().find((s) => s.name === "process message.posted");
    expect(processed?.spanContext().traceId).toBe(traceId);
    expect(processed?.parentSpanContext?.spanId).toBe(root?.spanContext().spanId);
    expect(processed?.kind).toBe(SpanKind.CONSUMER);
    // The reply was decided inside the consumer span: its context names that span.
    expect(body?.traceparent).toContain(`-${processed?.spanContext().spanId}-`);

    const handling = lines.find((l) => l.msg === "handling");
    expect(handling).toMatchObject({ traceId, groupId, eventId: id, turnId: id });
  } finally {
    await consumer.stop();
  }
});

it("drops a malformed trace context rather than refusing the event", async () => {
  const { parseEnvelope } = await import("@conclave/subjects");
  const id = newEventId();
  const raw = {
    ...makeEnvelope({
      id,
      type: "message.posted",
      groupId: newEventId(),
      turnId: id,
      causationId: null,
      actor: { kind: "user", id: "u" },
      payload: { messageId: id, content: "x" },
    }),
    traceparent: "not-a-trace\r\ncontext",
  };
  const parsed = parseEnvelope(raw);
  expect(parsed.ok).toBe(true);
  expect(parsed.ok && parsed.envelope.traceparent).toBeUndefined();
});
