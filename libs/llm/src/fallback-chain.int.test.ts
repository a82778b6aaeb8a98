import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFallbackChain } from "./fallback-chain.js";
import type { CompletionRequest } from "./provider.js";
import { withResilience } from "./resilient-provider.js";
import { anthropicWire } from "./testing/anthropic-wire.js";
import { type FakeServer, startFakeServer } from "./testing/fake-http-server.js";
import { openAiWire } from "./testing/openai-wire.js";

const request: CompletionRequest = {
  agent: {
    id: "0190a0a0-0000-7000-8000-000000000003",
    name: "Cy",
    provider: "anthropic",
    model: "claude-test-1",
    systemPrompt: "",
  },
  messages: [{ role: "user", content: "Are you there?" }],
  turnIndex: 0,
};

describe("fallback chain anthropic → openai-compatible → graceful reply", () => {
  let anthropic: FakeServer;
  let local: FakeServer;
  beforeAll(async () => {
    [anthropic, local] = await Promise.all([
      startFakeServer("anthropic", anthropicWire.check),
      startFakeServer("openai-compatible", openAiWire.check),
    ]);
  });
  afterAll(() => Promise.all([anthropic.close(), local.close()]));

  it("records who answered and why the others were skipped, down to the graceful reply", async () => {
    const primary = withResilience(anthropicWire.create(anthropic.url), {
      maxAttempts: 2,
      backoffBaseMs: 5,
      circuit: { failureThreshold: 2, coolDownMs: 60_000 },
    });
    const secondary = withResilience(openAiWire.create(local.url), { maxAttempts: 1 });
    const chain = createFallbackChain({
      name: "default",
      targets: [{ provider: primary }, { provider: secondary, model: "llama-test-1" }],
      gracefulReply: "I can't answer right now; please try again in a minute.",
    });
    anthropic.always(anthropicWire.error(529));
    const usage = { input: 5, output: 2, cached: 0 };

    local.enqueue(openAiWire.text({ chunks: ["Yes", "."], model: "llama-test-1", usage }));
    const first = await chain.complete(request);
    expect(first).toMatchObject({ content: "Yes.", provider: "openai-compatible", model: "llama-test-1" });
    expect(first.skipped).toEqual([
      {
        provider: "anthropic",
        model: "claude-test-1",
        reason: "failed",
        code: "unavailable",
        error: expect.stringContaining("529"),
      },
    ]);
    expect(anthropic.requests).toHaveLength(2);
    expect(primary.circuits()).toEqual([
      expect.objectContaining({ key: "anthropic/claude-test-1", state: "open" }),
    ]);

    local.enqueue(openAiWire.text({ chunks: ["Still here."], model: "llama-test-1", usage }));
    const second = await chain.complete(request);
    expect(second.provider).toBe("openai-compatible");
    expect(second.skipped).toEqual([
      expect.objectContaining({ provider: "anthropic", reason: "circuit_open" }),
    ]);
    expect(anthropic.requests).toHaveLength(2);

    local.always(openAiWire.error(502));
    const third = await chain.complete(request);
    expect(third).toMatchObject({
      content: "I can't answer right now; please try again in a minute.",
      provider: "graceful",
      finishReason: "stop",
    });
    expect(third.skipped.map((s) => [s.provider, s.reason, s.code])).toEqual([
      ["anthropic", "circuit_open", "unavailable"],
      ["openai-compatible", "failed", "unavailable"],
    ]);
  });
});
