import { AppError } from "@conclave/errors";
import { type AgentSnapshot, SCRIPTED_MAX_DELAY_MS } from "@conclave/subjects";
import { describe, expect, it } from "vitest";
import type { StreamEvent } from "./provider.js";
import type { ScriptOptions } from "./script-options.js";
import { createScriptedProvider } from "./scripted.js";

const agent = (scripted: AgentSnapshot["scripted"]): AgentSnapshot => ({
  id: "0190a0a0-0000-7000-8000-000000000001",
  name: "Ada",
  provider: "scripted",
  model: "scripted-1",
  systemPrompt: "",
  allowedTools: [],
  scripted,
});
const messages = [{ role: "user" as const, content: "hello there" }];
const p = createScriptedProvider();

describe("scripted provider", () => {
  it("cycles canned replies by turn", async () => {
    const a = agent({ replies: ["one", "two"] });
    const got = await Promise.all(
      [0, 1, 2].map((turnIndex) => p.complete({ agent: a, messages, turnIndex })),
    );
    expect(got.map((c) => c.content)).toEqual(["one", "two", "one"]);
  });
  it("echoes", async () => {
    expect((await p.complete({ agent: agent({ echo: true }), messages, turnIndex: 0 })).content).toBe(
      "hello there",
    );
  });
  it("answers by default with its name and the message, and counts usage", async () => {
    const c = await p.complete({ agent: agent({}), messages, turnIndex: 0 });
    expect(c.content).toBe("Ada heard: hello there");
    expect(c.usage.inputTokens).toBe(3);
    expect(c.model).toBe("scripted-1");
  });
  it("waits for its delay and can be aborted", async () => {
    const t0 = Date.now();
    await p.complete({ agent: agent({ delayMs: 50 }), messages, turnIndex: 0 });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(45);
    const ac = new AbortController();
    const pending = p.complete({
      agent: agent({ delayMs: 10_000 }),
      messages,
      turnIndex: 0,
      signal: ac.signal,
    });
    ac.abort();
    await expect(pending).rejects.toThrow();
  });
  it("waits at most SCRIPTED_MAX_DELAY_MS, whatever delay was stored", async () => {
    const t0 = Date.now();
    await p.complete({ agent: agent({ delayMs: 600_000 }), messages, turnIndex: 0 });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(SCRIPTED_MAX_DELAY_MS - 50);
    expect(Date.now() - t0).toBeLessThan(SCRIPTED_MAX_DELAY_MS + 5_000);
  }, 20_000);
  it("paces its words by tokenDelayMs, so a reader sees them arrive one by one", async () => {
    const stamps: number[] = [];
    const t0 = Date.now();
    for await (const e of p.stream({
      agent: agent({ replies: ["one two three"], tokenDelayMs: 40 }),
      messages,
      turnIndex: 0,
    }))
      if (e.type === "text") stamps.push(Date.now() - t0);
    expect(stamps).toHaveLength(3);
    expect(stamps[0]).toBeLessThan(35);
    expect((stamps[2] ?? 0) - (stamps[0] ?? 0)).toBeGreaterThanOrEqual(70);
  });
  it("fails permanently when scripted to", async () => {
    await expect(
      p.complete({ agent: agent({ failWith: "no" }), messages, turnIndex: 0 }),
    ).rejects.toBeInstanceOf(AppError);
  });
});

describe("scripted provider, streaming and tools", () => {
  const tools = [{ name: "get_weather", description: "Weather", parameters: { type: "object" } }];
  const withTools = (scripted: ScriptOptions) => ({ ...agent({}), scripted });

  it("streams its reply word by word, the same every time", async () => {
    const a = agent({ replies: ["The answer is  42."] });
    const run = async () => {
      const out: StreamEvent[] = [];
      for await (const e of p.stream({ agent: a, messages, turnIndex: 0 })) out.push(e);
      return out;
    };
    const first = await run();
    expect(first.filter((e) => e.type === "text").map((e) => e.delta)).toEqual([
      "The ",
      "answer ",
      "is  ",
      "42.",
    ]);
    expect(first.at(-1)).toMatchObject({ type: "done", provider: "scripted", finishReason: "stop" });
    expect(await run()).toEqual(first);
  });

  it("asks for its scripted tools when tools are offered, then answers from their results", async () => {
    const a = withTools({
      toolCalls: [
        { name: "get_weather", args: { city: "Oslo" } },
        { name: "clock", id: "c9" },
      ],
    });
    const asked = await p.complete({ agent: a, messages, turnIndex: 4, tools });
    expect(asked.toolCalls).toEqual([
      { id: "call_4_0", name: "get_weather", args: { city: "Oslo" } },
      { id: "c9", name: "clock", args: {} },
    ]);
    expect(asked).toMatchObject({ content: "", finishReason: "tool_calls" });

    const answered = await p.complete({
      agent: a,
      turnIndex: 4,
      tools,
      messages: [
        ...messages,
        { role: "assistant", content: "", toolCalls: asked.toolCalls },
        { role: "tool", toolCallId: "call_4_0", toolName: "get_weather", content: "-3C" },
      ],
    });
    expect(answered).toMatchObject({ content: "Ada heard: -3C", toolCalls: [], finishReason: "stop" });
  });

  it("does not call tools when none are offered (so today's executor gets a plain reply)", async () => {
    const a = withTools({ toolCalls: [{ name: "get_weather" }] });
    const c = await p.complete({ agent: a, messages, turnIndex: 0 });
    expect(c).toMatchObject({ content: "Ada heard: hello there", toolCalls: [] });
  });

  it("uses the request's model over the agent's", async () => {
    expect((await p.complete({ agent: agent({}), messages, turnIndex: 0, model: "fallback-m" })).model).toBe(
      "fallback-m",
    );
  });
});

describe("scripted provider, asks", () => {
  const replies = ["r0", "r1", "r2", "r3"];
  const texts = async (request: Parameters<typeof p.stream>[0]) => {
    const out: string[] = [];
    for await (const e of p.stream(request)) if (e.type === "text") out.push(e.delta);
    return out;
  };

  it("cycles canned replies on turn index plus the ask's index in the turn", async () => {
    const a = agent({ replies });
    const got = await Promise.all(
      [0, 1, 2].map((askIndex) => p.complete({ agent: a, messages, turnIndex: 2, askIndex })),
    );
    expect(got.map((c) => c.content)).toEqual(["r2", "r3", "r0"]);
    expect((await p.complete({ agent: a, messages, turnIndex: 2, purpose: "reply" })).content).toBe("r2");
  });

  it("answers a selector's ask from its replies, like a reply", async () => {
    const a = agent({ replies: ["Ada", "Grace"] });
    const c = await p.complete({ agent: a, messages, turnIndex: 0, askIndex: 1, purpose: "select" });
    expect(c.content).toBe("Grace");
    expect((await p.complete({ agent: agent({}), messages, turnIndex: 0, purpose: "select" })).content).toBe(
      "Ada heard: hello there",
    );
  });

  it("casts its scripted vote, cycled by turn, as exactly a JSON ballot, streamed", async () => {
    const a = agent({
      replies,
      votes: [
        { choice: "yes", confidence: 0.8, rationale: "it holds up" },
        { choice: null, confidence: 0.2, rationale: "unsure" },
      ],
    });
    const deltas = await texts({ agent: a, messages, turnIndex: 0, askIndex: 3, purpose: "ballot" });
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.join("")).toBe('{"choice":"yes","confidence":0.8,"rationale":"it holds up"}');
    const second = await p.complete({ agent: a, messages, turnIndex: 3, purpose: "ballot" });
    expect(JSON.parse(second.content)).toEqual({ choice: null, confidence: 0.2, rationale: "unsure" });
    expect(second).toMatchObject({ toolCalls: [], finishReason: "stop" });
  });

  it("abstains on a ballot without scripted votes", async () => {
    for (const scripted of [{ replies }, { echo: true }, { votes: [] }]) {
      const c = await p.complete({ agent: agent(scripted), messages, turnIndex: 1, purpose: "ballot" });
      expect(c.content).toBe('{"choice":null,"confidence":0,"rationale":"no scripted vote"}');
    }
  });

  it("fails and waits whatever the purpose", async () => {
    for (const purpose of ["reply", "ballot", "select"] as const) {
      await expect(
        p.complete({ agent: agent({ failWith: "no", votes: [] }), messages, turnIndex: 0, purpose }),
      ).rejects.toBeInstanceOf(AppError);
      const t0 = Date.now();
      await p.complete({ agent: agent({ delayMs: 30 }), messages, turnIndex: 0, purpose });
      expect(Date.now() - t0).toBeGreaterThanOrEqual(25);
    }
  });

  it("runs its scripted tools only on a reply", async () => {
    const tools = [{ name: "clock", description: "Time", parameters: { type: "object" } }];
    const a = { ...agent({}), scripted: { toolCalls: [{ name: "clock" }], replies: ["Ada"] } };
    const reply = await p.complete({ agent: a, messages, turnIndex: 0, tools, purpose: "reply" });
    expect(reply.toolCalls).toHaveLength(1);
    const ballot = await p.complete({ agent: a, messages, turnIndex: 0, tools, purpose: "ballot" });
    expect(ballot).toMatchObject({ toolCalls: [], finishReason: "stop" });
    const pick = await p.complete({ agent: a, messages, turnIndex: 0, tools, purpose: "select" });
    expect(pick).toMatchObject({ content: "Ada", toolCalls: [] });
  });
});
