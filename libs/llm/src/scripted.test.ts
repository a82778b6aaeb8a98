import { AppError } from "@conclave/errors";
import type { AgentSnapshot } from "@conclave/subjects";
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
