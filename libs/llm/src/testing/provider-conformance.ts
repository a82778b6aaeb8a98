import { AppError } from "@conclave/errors";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createFallbackChain } from "../fallback-chain.js";
import type { CompletionRequest, LlmProvider, StreamEvent } from "../provider.js";
import { isCircuitOpen, retryAfterOf } from "../provider-failure.js";
import { type ResilienceOptions, withResilience } from "../resilient-provider.js";
import { createScriptedProvider } from "../scripted.js";
import { type FakeServer, startFakeServer } from "./fake-http-server.js";
import type { ProviderWire } from "./provider-wire.js";

const USAGE = { input: 12, output: 3, cached: 4 };

/** Drains a stream, keeping the events it yielded before it failed (if it did). */
async function drain(
  events: AsyncIterable<StreamEvent>,
): Promise<{ events: StreamEvent[]; error?: unknown }> {
  const out: StreamEvent[] = [];
  try {
    for await (const e of events) out.push(e);
    return { events: out };
  } catch (error) {
    return { events: out, error };
  }
}

async function rejection(p: Promise<unknown>): Promise<AppError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(AppError);
    return e as AppError;
  }
  throw new Error("expected a rejection");
}

/**
 * The behaviour every real adapter must show against a fake server speaking its wire protocol:
 * streaming, tool calls, usage, and the resilience wrapper's retries, timeout, circuit and fallback.
 */
export function describeProviderConformance(wire: ProviderWire): void {
  describe(`${wire.name} adapter against a fake ${wire.name} server`, () => {
    let server: FakeServer;
    beforeAll(async () => {
      server = await startFakeServer(wire.name, wire.check);
    });
    afterAll(() => server.close());
    beforeEach(() => server.reset());

    const request = (over: Partial<CompletionRequest> = {}): CompletionRequest => ({
      agent: {
        id: "0190a0a0-0000-7000-8000-000000000001",
        name: "Ada",
        provider: wire.name,
        model: wire.model,
        systemPrompt: "Be brief.",
      },
      messages: [{ role: "user", content: "Hello?" }],
      turnIndex: 0,
      ...over,
    });
    const resilient = (options: ResilienceOptions = {}) =>
      withResilience(wire.create(server.url), {
        backoffBaseMs: 5,
        backoffMaxMs: 20,
        timeoutMs: 5_000,
        ...options,
      });

    it("streams text deltas, then usage and the model that answered", async () => {
      server.enqueue(wire.text({ chunks: ["Hel", "lo, ", "world"], model: "served-model-7", usage: USAGE }));
      const { events, error } = await drain(wire.create(server.url).stream(request()));
      expect(error).toBeUndefined();
      expect(events.filter((e) => e.type === "text").map((e) => e.delta)).toEqual(["Hel", "lo, ", "world"]);
      expect(events.at(-1)).toEqual({
        type: "done",
        provider: wire.name,
        model: "served-model-7",
        usage: { inputTokens: 12, outputTokens: 3, cachedTokens: 4 },
        finishReason: "stop",
        skipped: [],
      });
      expect(server.requests).toHaveLength(1);
    });

    it("assembles tool calls with their JSON arguments", async () => {
      const calls = [
        { id: "call_a1", name: "get_weather", args: { city: "Paris", days: 2, units: { temp: "C" } } },
        { id: "call_b2", name: "search", args: { q: 'quoted "text", commas' } },
      ];
      server.enqueue(wire.toolUse({ text: "Let me check.", calls, model: wire.model, usage: USAGE }));
      const tools = [
        {
          name: "get_weather",
          description: "Weather for a city",
          parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
        },
        { name: "search", description: "Search the web", parameters: { type: "object", properties: {} } },
      ];
      const c = await wire.create(server.url).complete(request({ tools }));
      expect(c.content).toBe("Let me check.");
      expect(c.toolCalls).toEqual(calls);
      expect(c.finishReason).toBe("tool_calls");
      expect(c.usage).toEqual({ inputTokens: 12, outputTokens: 3, cachedTokens: 4 });
    });

    it("retries a 500 and then succeeds", async () => {
      server.enqueue(wire.error(500), wire.text({ chunks: ["ok"], model: wire.model, usage: USAGE }));
      const c = await resilient().complete(request());
      expect(c.content).toBe("ok");
      expect(server.requests).toHaveLength(2);
    });

    it("honours Retry-After on a 429", async () => {
      server.enqueue(
        wire.error(429, { "retry-after": "1" }),
        wire.text({ chunks: ["later"], model: wire.model, usage: USAGE }),
      );
      const c = await resilient().complete(request());
      expect(c.content).toBe("later");
      const [first, second] = server.requests;
      const waited = (second?.at ?? 0) - (first?.at ?? 0);
      // Without Retry-After the backoff here is at most 20 ms.
      expect(waited).toBeGreaterThanOrEqual(990);
      expect(waited).toBeLessThan(2_500);
    });

    it("hands back a Retry-After longer than it will sleep, without waiting", async () => {
      server.enqueue(wire.error(503, { "retry-after": "120" }));
      const t0 = performance.now();
      const e = await rejection(resilient({ maxRetryAfterMs: 10_000 }).complete(request()));
      expect(performance.now() - t0).toBeLessThan(1_000);
      expect(e.code).toBe("unavailable");
      expect(retryAfterOf(e)).toBe(120_000);
      expect(server.requests).toHaveLength(1);
    });

    it("does not retry a 400", async () => {
      server.always(wire.error(400));
      const e = await rejection(resilient().complete(request()));
      expect(e.code).toBe("permanent");
      expect(server.requests).toHaveLength(1);
    });

    it("fails with timeout within the deadline when the server never answers", async () => {
      server.always({ kind: "hang" });
      const t0 = performance.now();
      const e = await rejection(resilient({ timeoutMs: 300, maxAttempts: 1 }).complete(request()));
      const took = performance.now() - t0;
      expect(e.code).toBe("timeout");
      expect(took).toBeGreaterThanOrEqual(290);
      expect(took).toBeLessThan(1_500);
    });

    it("stops at once when the caller aborts, without retrying or blaming the provider", async () => {
      server.always({ kind: "hang" });
      const p = resilient({ timeoutMs: 5_000, maxAttempts: 3 });
      const ac = new AbortController();
      setTimeout(() => ac.abort(), 100);
      const t0 = performance.now();
      const e = await rejection(p.complete(request({ signal: ac.signal })));
      expect(performance.now() - t0).toBeLessThan(1_000);
      expect(e.code).toBe("unavailable");
      expect(server.requests).toHaveLength(1);
      expect(p.circuit(wire.model).snapshot()).toMatchObject({ state: "closed", consecutiveFailures: 0 });
    });

    it("opens the circuit after repeated failures and half-opens after the cool-down", async () => {
      const p = resilient({ maxAttempts: 1, circuit: { failureThreshold: 2, coolDownMs: 200 } });
      server.enqueue(wire.error(500), wire.error(503));
      expect((await rejection(p.complete(request()))).code).toBe("unavailable");
      expect(p.circuit(wire.model).state()).toBe("closed");
      expect((await rejection(p.complete(request()))).code).toBe("unavailable");
      expect(p.circuits()).toEqual([expect.objectContaining({ state: "open", consecutiveFailures: 2 })]);

      const refused = await rejection(p.complete(request()));
      expect(isCircuitOpen(refused)).toBe(true);
      expect(server.requests).toHaveLength(2);

      await new Promise((r) => setTimeout(r, 250));
      expect(p.circuit(wire.model).state()).toBe("half_open");
      server.enqueue(wire.text({ chunks: ["back"], model: wire.model, usage: USAGE }));
      expect((await p.complete(request())).content).toBe("back");
      expect(p.circuit(wire.model).snapshot()).toMatchObject({ state: "closed", consecutiveFailures: 0 });
      expect(server.requests).toHaveLength(3);
    });

    it("does not retry a stream that broke after yielding text, but complete() does", async () => {
      server.enqueue(
        wire.broken(["par", "tial"]),
        wire.text({ chunks: ["whole"], model: wire.model, usage: USAGE }),
      );
      const streamed = await drain(resilient().stream(request()));
      expect(streamed.events).toEqual([
        { type: "text", delta: "par" },
        { type: "text", delta: "tial" },
      ]);
      expect(streamed.error).toBeInstanceOf(AppError);
      expect((streamed.error as AppError).code).toBe("unavailable");
      expect(server.requests).toHaveLength(1);

      server.reset();
      server.enqueue(wire.broken(["par"]), wire.text({ chunks: ["whole"], model: wire.model, usage: USAGE }));
      const whole = await resilient().complete(request());
      expect(whole.content).toBe("whole");
      expect(server.requests).toHaveLength(2);
    });

    it("fails a stream that was cut short instead of returning half an answer", async () => {
      server.enqueue(wire.truncated(["cut"]));
      const e = await rejection(wire.create(server.url).complete(request()));
      expect(e.code).toBe("unavailable");
    });

    it("falls back to the next provider and records which one answered", async () => {
      server.always(wire.error(503));
      const chain: LlmProvider = createFallbackChain({
        targets: [
          { provider: resilient({ maxAttempts: 2 }) },
          { provider: createScriptedProvider(), model: "scripted-fallback" },
        ],
      });
      const c = await chain.complete(request());
      expect(c.provider).toBe("scripted");
      expect(c.model).toBe("scripted-fallback");
      expect(c.content).toBe("Ada heard: Hello?");
      expect(c.skipped).toEqual([
        {
          provider: wire.name,
          model: wire.model,
          reason: "failed",
          code: "unavailable",
          error: expect.any(String),
        },
      ]);
      expect(server.requests).toHaveLength(2);
    });
  });
}

/** A conversation with a system prompt, tools, an assistant turn that called two tools, and their results. */
export function toolConversation(provider: string, model: string): CompletionRequest {
  return {
    agent: {
      id: "0190a0a0-0000-7000-8000-000000000002",
      name: "Bo",
      provider,
      model,
      systemPrompt: "Be brief.",
    },
    messages: [
      { role: "user", content: "Weather in Paris, and news?" },
      {
        role: "assistant",
        content: "Checking.",
        toolCalls: [
          { id: "call_1", name: "get_weather", args: { city: "Paris" } },
          { id: "call_2", name: "search", args: { q: "news" } },
        ],
      },
      { role: "tool", toolCallId: "call_1", toolName: "get_weather", content: "18C" },
      { role: "tool", toolCallId: "call_2", toolName: "search", content: "boom", isError: true },
      { role: "user", content: "Thanks." },
    ],
    tools: [
      {
        name: "get_weather",
        description: "Weather for a city",
        parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
      },
    ],
    turnIndex: 3,
    maxOutputTokens: 256,
    temperature: 0.2,
  };
}
