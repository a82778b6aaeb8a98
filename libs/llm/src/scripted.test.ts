import { AppError } from "@conclave/errors";
import type { AgentSnapshot } from "@conclave/subjects";
import { describe, expect, it } from "vitest";
import { createScriptedProvider } from "./scripted.js";

const agent = (scripted: AgentSnapshot["scripted"]): AgentSnapshot => ({
  id: "0190a0a0-0000-7000-8000-000000000001",
  name: "Ada",
  provider: "scripted",
  model: "scripted-1",
  systemPrompt: "",
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
