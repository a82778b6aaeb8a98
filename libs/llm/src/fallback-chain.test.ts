import { AppError } from "@conclave/errors";
import { describe, expect, it } from "vitest";
import { providerFromStream } from "./collect-stream.js";
import { createFallbackChain } from "./fallback-chain.js";
import type { CompletionRequest, LlmProvider, StreamEvent } from "./provider.js";
import { withResilience } from "./resilient-provider.js";
import { createScriptedProvider } from "./scripted.js";

const request = (over: Partial<CompletionRequest> = {}): CompletionRequest => ({
  agent: { id: "a", name: "Ada", provider: "fallback", model: "agent-model", systemPrompt: "" },
  messages: [{ role: "user", content: "hi" }],
  turnIndex: 0,
  ...over,
});

/** A provider that fails every call with `code`, optionally after some text; counts its calls. */
function failing(name: string, code: "unavailable" | "permanent", partial?: string) {
  let calls = 0;
  const provider: LlmProvider = providerFromStream(name, async function* (): AsyncGenerator<StreamEvent> {
    calls++;
    if (partial) yield { type: "text", delta: partial };
    throw new AppError(code, `${name} is down`);
  });
  return { provider, calls: () => calls };
}

describe("createFallbackChain", () => {
  it("answers from the first target that works, and records the ones it skipped", async () => {
    const a = failing("alpha", "unavailable");
    const b = failing("beta", "permanent");
    const chain = createFallbackChain({
      targets: [
        { provider: a.provider, model: "a-1" },
        { provider: b.provider },
        { provider: createScriptedProvider(), model: "s-1" },
      ],
    });
    const c = await chain.complete(request());
    expect(c).toMatchObject({ provider: "scripted", model: "s-1", content: "Ada heard: hi" });
    expect(c.skipped).toEqual([
      { provider: "alpha", model: "a-1", reason: "failed", code: "unavailable", error: "alpha is down" },
      { provider: "beta", model: "agent-model", reason: "failed", code: "permanent", error: "beta is down" },
    ]);
  });

  it("skips a target whose circuit is open without calling it", async () => {
    const a = failing("alpha", "unavailable");
    const guarded = withResilience(a.provider, {
      maxAttempts: 1,
      circuit: { failureThreshold: 1, coolDownMs: 60_000 },
    });
    const chain = createFallbackChain({
      targets: [{ provider: guarded }, { provider: createScriptedProvider() }],
    });
    expect((await chain.complete(request())).skipped[0]?.reason).toBe("failed");
    const second = await chain.complete(request());
    expect(second.skipped).toEqual([expect.objectContaining({ provider: "alpha", reason: "circuit_open" })]);
    expect(a.calls()).toBe(1);
  });

  it("gives the graceful reply when every target fails", async () => {
    const chain = createFallbackChain({
      targets: [{ provider: failing("alpha", "unavailable").provider }],
      gracefulReply: (_req, skipped) => `Sorry, ${skipped.length} provider(s) are down.`,
    });
    const events: StreamEvent[] = [];
    for await (const e of chain.stream(request())) events.push(e);
    expect(events).toEqual([
      { type: "text", delta: "Sorry, 1 provider(s) are down." },
      {
        type: "done",
        provider: "graceful",
        model: "graceful",
        usage: { inputTokens: 0, outputTokens: 0, cachedTokens: 0 },
        finishReason: "stop",
        skipped: [expect.objectContaining({ provider: "alpha", code: "unavailable" })],
      },
    ]);
  });

  it("fails unavailable if any failure was transient, permanent if all were", async () => {
    const mixed = createFallbackChain({
      targets: [
        { provider: failing("a", "permanent").provider },
        { provider: failing("b", "unavailable").provider },
      ],
    });
    await expect(mixed.complete(request())).rejects.toMatchObject({ code: "unavailable" });
    const hopeless = createFallbackChain({
      targets: [
        { provider: failing("a", "permanent").provider },
        { provider: failing("b", "permanent").provider },
      ],
    });
    await expect(hopeless.complete(request())).rejects.toMatchObject({ code: "permanent" });
  });

  it("stream() does not move on once a target has yielded; complete() does", async () => {
    const targets = () => [
      { provider: failing("alpha", "unavailable", "half").provider },
      { provider: createScriptedProvider() },
    ];
    const seen: StreamEvent[] = [];
    const run = async () => {
      for await (const e of createFallbackChain({ targets: targets() }).stream(request())) seen.push(e);
    };
    await expect(run()).rejects.toMatchObject({ code: "unavailable" });
    expect(seen).toEqual([{ type: "text", delta: "half" }]);
    expect((await createFallbackChain({ targets: targets() }).complete(request())).provider).toBe("scripted");
  });

  it("stops when the caller aborts instead of trying the next target", async () => {
    const ac = new AbortController();
    const a = failing("alpha", "unavailable");
    const next = failing("beta", "unavailable");
    ac.abort();
    const chain = createFallbackChain({ targets: [{ provider: a.provider }, { provider: next.provider }] });
    await expect(chain.complete(request({ signal: ac.signal }))).rejects.toBeInstanceOf(AppError);
    expect(a.calls() + next.calls()).toBe(0);
  });
});
