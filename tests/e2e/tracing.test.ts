import { randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import { freePort, readGroupEvents, startSystem, type TestSystem, waitUntil } from "@conclave/testing";
import { afterAll, beforeAll, expect, it } from "vitest";

// One trace per turn, across every app: the caller's `traceparent` on the POST is the parent of the
// edge's span, every event of the turn carries the trace (in its body and its header), every log
// line about the turn names it, and the spans every app exported over OTLP form one tree.

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: { key: string; value: Record<string, unknown> }[];
}
interface Exported {
  service: string;
  span: OtlpSpan;
}

let sys: TestSystem;
let collector: Server;
const exported: Exported[] = [];

/** A collector that takes OTLP/HTTP JSON, as the apps' exporter sends it. */
async function startCollector(port: number): Promise<Server> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      if (req.url === "/v1/traces") {
        const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as {
          resourceSpans: {
            resource: { attributes: { key: string; value: { stringValue?: string } }[] };
            scopeSpans: { spans: OtlpSpan[] }[];
          }[];
        };
        for (const rs of body.resourceSpans) {
          const service =
            rs.resource.attributes.find((a) => a.key === "service.name")?.value.stringValue ?? "";
          for (const ss of rs.scopeSpans) for (const span of ss.spans) exported.push({ service, span });
        }
      }
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return server;
}

beforeAll(async () => {
  const port = await freePort();
  collector = await startCollector(port);
  sys = await startSystem({
    env: { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`, LOG_LEVEL: "debug" },
  });
});
afterAll(async () => {
  await sys?.stop();
  await new Promise((resolve) => collector?.close(resolve));
});

const attr = (s: OtlpSpan, key: string) => s.attributes.find((a) => a.key === key)?.value;

it("follows a turn from the POST's traceparent through every app, event and log line", async () => {
  const created = await sys.post("/v1/groups", {
    name: "traced",
    strategy: "round_robin",
    agents: [
      { name: "Ada", scripted: { replies: ["first"] } },
      { name: "Grace", scripted: { replies: ["second"] } },
    ],
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const groupId = created.body.id as string;
  const watcher = await sys.openStream();
  await watcher.subscribe(groupId, 0);

  const traceId = randomBytes(16).toString("hex");
  const callerSpan = randomBytes(8).toString("hex");
  const posted = await sys.request("POST", `/v1/groups/${groupId}/messages`, {
    body: { content: "hello" },
    headers: { traceparent: `00-${traceId}-${callerSpan}-01`, "x-request-id": "req-trace-test-1" },
  });
  expect(posted.status).toBe(202);
  expect(posted.headers.get("x-request-id")).toBe("req-trace-test-1");
  const turnId = posted.body.turnId as string;

  // The socket sees the events as the stream has them, trace context included.
  const completed = await watcher.waitFor(
    "the turn's end",
    (f) => f.type === "event" && (f.event as { type: string }).type === "turn.completed",
    30_000,
  );
  expect((completed.event as { traceparent?: string }).traceparent).toContain(`-${traceId}-`);
  await watcher.close();
  const events = await readGroupEvents(sys.bus, groupId);
  const turnEvents = events.filter((e) => e.turnId === turnId);
  expect(turnEvents.map((e) => e.type)).toEqual(
    expect.arrayContaining(["message.posted", "turn.started", "agent.replied", "turn.completed"]),
  );
  for (const e of turnEvents) expect(e.traceparent, `${e.type} carries the trace`).toContain(`-${traceId}-`);

  // The edge's access line for the POST carries the request id and the trace.
  await waitUntil("the edge's access line", () =>
    sys.app("edge").lines.some((l) => l.includes("req-trace-test-1") && l.includes('"msg":"request"')),
  );
  const access = JSON.parse(
    sys.app("edge").lines.find((l) => l.includes("req-trace-test-1") && l.includes('"msg":"request"')) ??
      "{}",
  ) as Record<string, unknown>;
  expect(access).toMatchObject({ traceId, route: "/v1/groups/:groupId/messages", status: 202 });

  // Every line any app logged about the turn names its trace.
  const about = sys.apps.flatMap((a) =>
    a.lines
      .filter((l) => l.startsWith("{") && l.includes(turnId))
      .map((l) => ({ app: a.app, line: JSON.parse(l) as Record<string, unknown> })),
  );
  expect([...new Set(about.map((a) => a.app))].sort()).toEqual(["edge", "executor", "orchestrator"]);
  for (const { app, line } of about) expect(line.traceId, `${app}: ${JSON.stringify(line)}`).toBe(traceId);

  // The spans of every app, exported over OTLP, form one tree under the caller's span.
  await waitUntil(
    "every app's spans",
    () => {
      const services = new Set(exported.filter((x) => x.span.traceId === traceId).map((x) => x.service));
      return ["edge", "orchestrator", "executor", "recorder", "fanout"].every((a) =>
        services.has(`conclave-${a}`),
      );
    },
    30_000,
  );
  const spans = exported.filter((x) => x.span.traceId === traceId);
  const ids = new Set(spans.map((x) => x.span.spanId));
  for (const { service, span } of spans) {
    expect(span.parentSpanId, `${service} ${span.name} has a parent`).toBeTruthy();
    if (span.parentSpanId !== callerSpan)
      expect(ids.has(span.parentSpanId ?? ""), `${service} ${span.name}`).toBe(true);
  }
  const roots = spans.filter((x) => x.span.parentSpanId === callerSpan);
  expect(roots.map((x) => `${x.service} ${x.span.name}`)).toEqual([
    "conclave-edge POST /v1/groups/:groupId/messages",
  ]);

  // The LLM calls follow the GenAI conventions.
  const chats = spans.filter((x) => attr(x.span, "gen_ai.operation.name")?.stringValue === "chat");
  expect(chats.length).toBe(2);
  for (const { span } of chats) {
    expect(attr(span, "gen_ai.provider.name")?.stringValue).toBe("scripted");
    expect(attr(span, "gen_ai.usage.output_tokens")?.intValue).toBeDefined();
  }
});
