import { jetstream, provision, publishEnvelope } from "@conclave/bus";
import {
  type AgentSnapshot,
  type AnyEnvelope,
  deriveEventId,
  makeEnvelope,
  newEventId,
  type WorkLlm,
} from "@conclave/subjects";
import { openTestBus, quietLogger, type TestBus } from "@conclave/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createExecutor, type Executor } from "./app.js";
import { loadConfig } from "./config.js";

let bus: TestBus;
let executor: Executor;

beforeAll(async () => {
  bus = await openTestBus();
  await provision(bus.nc, bus.names);
  executor = createExecutor({
    config: loadConfig({ CONCLAVE_NS: bus.names.ns }),
    nc: bus.nc,
    log: quietLogger("executor"),
  });
  await executor.start();
});
afterAll(async () => {
  await executor?.stop();
  await bus?.dispose();
});

const agent = (scripted: AgentSnapshot["scripted"], allowedTools: string[] = []): AgentSnapshot => ({
  id: newEventId(),
  name: "Ada",
  provider: "scripted",
  model: "scripted-1",
  systemPrompt: "",
  allowedTools,
  scripted,
});

/** Publishes one `work.llm` for a group of its own and returns the outcome the executor publishes. */
async function outcomeOf(payload: Omit<WorkLlm, "messages" | "step">): Promise<AnyEnvelope> {
  const js = jetstream(bus.nc);
  const groupId = newEventId();
  const turnId = newEventId();
  const consumer = await js.consumers.get(bus.names.stream("conv"), {
    filter_subjects: `${bus.names.ns}.conv.${groupId}.>`,
  });
  await publishEnvelope(
    js,
    bus.names,
    makeEnvelope({
      id: deriveEventId(turnId, "work"),
      type: "work.llm",
      groupId,
      turnId,
      causationId: null,
      actor: { kind: "agent", id: payload.agent.id },
      payload: { ...payload, step: 0, messages: [{ role: "user", content: "Should we ship?" }] },
    }),
  );
  const m = await consumer.next({ expires: 10_000 });
  if (!m) throw new Error("no outcome within 10 s");
  return m.json<AnyEnvelope>();
}

describe("runLlmCall and asks", () => {
  it("answers a ballot ask with the scripted JSON ballot, naming the ask", async () => {
    const a = agent({
      replies: ["not a ballot"],
      votes: [{ choice: "yes", confidence: 0.9, rationale: "ready" }],
    });
    const e = await outcomeOf({ agent: a, turnIndex: 0, ask: { id: "x", purpose: "ballot", index: 0 } });
    expect(e.type).toBe("agent.replied");
    expect(e.payload).toMatchObject({
      agentId: a.id,
      askId: "x",
      purpose: "ballot",
      content: '{"choice":"yes","confidence":0.9,"rationale":"ready"}',
    });
  });

  it("cycles replies on the ask's index in the turn", async () => {
    const a = agent({ replies: ["r0", "r1", "r2"] });
    const e = await outcomeOf({ agent: a, turnIndex: 1, ask: { id: "y", purpose: "reply", index: 1 } });
    expect(e.payload).toMatchObject({ askId: "y", purpose: "reply", content: "r2" });
    const pick = await outcomeOf({ agent: a, turnIndex: 0, ask: { id: "z", purpose: "select", index: 0 } });
    expect(pick.payload).toMatchObject({ askId: "z", purpose: "select", content: "r0" });
  });

  it("names the ask on a failure and on a tool request", async () => {
    const failed = await outcomeOf({
      agent: agent({ failWith: "scripted failure" }),
      turnIndex: 0,
      ask: { id: "f", purpose: "ballot", index: 0 },
    });
    expect(failed.type).toBe("agent.failed");
    expect(failed.payload).toMatchObject({ askId: "f", error: expect.stringContaining("scripted failure") });

    const asked = await outcomeOf({
      agent: agent({ toolCalls: [{ name: "calculator", args: { expression: "1+1" } }] }, ["calculator"]),
      turnIndex: 0,
      ask: { id: "t", purpose: "reply", index: 0 },
    });
    expect(asked.type).toBe("agent.tool_requested");
    expect(asked.payload).toMatchObject({ askId: "t" });
  });

  it("offers no search_history without a database: the agent allowed only that tool just answers", async () => {
    const searcher = agent(
      { toolCalls: [{ name: "search_history", args: { query: "x" } }], replies: ["ok"] },
      ["search_history"],
    );
    const e = await outcomeOf({ agent: searcher, turnIndex: 0 });
    expect(e.type).toBe("agent.replied");
    expect(e.payload).toMatchObject({ content: "ok" });
  });

  it("leaves askId out of the outcome of work without an ask", async () => {
    const e = await outcomeOf({ agent: agent({ replies: ["plain"] }), turnIndex: 0 });
    expect(e.type).toBe("agent.replied");
    // Work without an ask is a reply.
    expect(e.payload).toMatchObject({ content: "plain", purpose: "reply" });
    expect(e.payload).not.toHaveProperty("askId");
  });
  it("replaces a NUL in model output (reply text and tool arguments) with U+FFFD before publishing", async () => {
    const e = await outcomeOf({ agent: agent({ replies: ["bin\u0000ary"] }), turnIndex: 0 });
    expect(e.type).toBe("agent.replied");
    expect(e.payload).toMatchObject({ content: "bin\uFFFDary" });
    const asked = await outcomeOf({
      agent: agent({ toolCalls: [{ name: "calculator", args: { "x\u0000": "1\u0000" } }] }, ["calculator"]),
      turnIndex: 0,
    });
    expect(asked.type).toBe("agent.tool_requested");
    expect(JSON.stringify(asked.payload)).not.toContain("\\u0000");
    expect(asked.payload).toMatchObject({ calls: [{ args: { "x\uFFFD": "1\uFFFD" } }] });
  });
});
