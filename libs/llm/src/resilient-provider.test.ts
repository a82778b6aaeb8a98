import { AppError } from "@conclave/errors";
import { describe, expect, it } from "vitest";
import { providerFromStream } from "./collect-stream.js";
import type { CompletionRequest, LlmProvider, StreamEvent } from "./provider.js";
import { httpFailure, isCircuitOpen, retryAfterOf } from "./provider-failure.js";
import { withResilience } from "./resilient-provider.js";

/** A provider that plays one outcome per call: an answer, or an error thrown after `partial` text. */
type Outcome = { ok: string } | { error: AppError; partial?: string };

function scriptedOutcomes(outcomes: Outcome[]): LlmProvider & { calls: CompletionRequest[] } {
  const calls: CompletionRequest[] = [];
  const provider = providerFromStream("double", async function* (request): AsyncGenerator<StreamEvent> {
    calls.push(request);
    const next = outcomes.shift() ?? { error: new AppError("permanent", "no outcome left") };
    if ("error" in next) {
      if (next.partial) yield { type: "text", delta: next.partial };
      throw next.error;
    }
    yield { type: "text", delta: next.ok };
    yield {
      type: "done",
      provider: "double",
      model: request.model || request.agent.model,
      usage: { inputTokens: 1, outputTokens: 1, cachedTokens: 0 },
      finishReason: "stop",
      skipped: [],
    };
  });
  return Object.assign(provider, { calls });
}

const request = (model = "m1", signal?: AbortSignal): CompletionRequest => ({
  agent: { id: "a", name: "Ada", provider: "double", model, systemPrompt: "" },
  messages: [{ role: "user", content: "hi" }],
  turnIndex: 0,
  ...(signal ? { signal } : {}),
});
const unavailable = () => new AppError("unavailable", "flaky");
const noWait = { backoffBaseMs: 0, random: () => 0 };

describe("withResilience", () => {
  it("retries transient failures and answers, passing each attempt its own signal", async () => {
    const inner = scriptedOutcomes([{ error: unavailable() }, { error: unavailable() }, { ok: "fine" }]);
    const c = await withResilience(inner, { ...noWait, maxAttempts: 3 }).complete(request());
    expect(c.content).toBe("fine");
    expect(inner.calls).toHaveLength(3);
    expect(new Set(inner.calls.map((r) => r.signal)).size).toBe(3);
  });

  it("gives up after maxAttempts with the last error", async () => {
    const inner = scriptedOutcomes([{ error: unavailable() }, { error: new AppError("timeout", "slow") }]);
    await expect(
      withResilience(inner, { ...noWait, maxAttempts: 2 }).complete(request()),
    ).rejects.toMatchObject({
      code: "timeout",
    });
    expect(inner.calls).toHaveLength(2);
  });

  it("throws a permanent error at once, and does not hold it against the circuit", async () => {
    const inner = scriptedOutcomes([{ error: new AppError("permanent", "bad request") }]);
    const p = withResilience(inner, { ...noWait, circuit: { failureThreshold: 1 } });
    await expect(p.complete(request())).rejects.toMatchObject({ code: "permanent" });
    expect(inner.calls).toHaveLength(1);
    expect(p.circuit("m1").state()).toBe("closed");
  });

  it("hands back a Retry-After above maxRetryAfterMs without sleeping on it", async () => {
    const inner = scriptedOutcomes([
      { error: httpFailure("double", 429, "slow down", { retryAfterMs: 90_000 }) },
    ]);
    const t0 = performance.now();
    const e = await withResilience(inner, { maxRetryAfterMs: 1_000 })
      .complete(request())
      .catch((err: unknown) => err);
    expect(performance.now() - t0).toBeLessThan(500);
    expect(retryAfterOf(e)).toBe(90_000);
    expect(inner.calls).toHaveLength(1);
  });

  it("keeps one circuit per model, and says when an open one will probe", async () => {
    let t = 0;
    const inner = scriptedOutcomes([{ error: unavailable() }, { ok: "other model" }]);
    const p = withResilience(inner, {
      ...noWait,
      maxAttempts: 1,
      now: () => t,
      circuit: { failureThreshold: 1, coolDownMs: 5_000 },
    });
    await expect(p.complete(request("m1"))).rejects.toMatchObject({ code: "unavailable" });
    t = 1_000;
    const refused = await p.complete(request("m1")).catch((err: unknown) => err);
    expect(isCircuitOpen(refused)).toBe(true);
    expect(retryAfterOf(refused)).toBe(4_000);
    expect((await p.complete(request("m2"))).content).toBe("other model");
    expect(p.circuits().map((c) => [c.key, c.state])).toEqual([
      ["double/m1", "open"],
      ["double/m2", "closed"],
    ]);
    expect(inner.calls).toHaveLength(2);
  });

  it("stream() never retries after it has yielded, complete() does", async () => {
    const streamed = scriptedOutcomes([{ error: unavailable(), partial: "half" }, { ok: "whole" }]);
    const seen: string[] = [];
    const run = async () => {
      for await (const e of withResilience(streamed, noWait).stream(request()))
        if (e.type === "text") seen.push(e.delta);
    };
    await expect(run()).rejects.toMatchObject({ code: "unavailable" });
    expect(seen).toEqual(["half"]);
    expect(streamed.calls).toHaveLength(1);

    const completed = scriptedOutcomes([{ error: unavailable(), partial: "half" }, { ok: "whole" }]);
    expect((await withResilience(completed, noWait).complete(request())).content).toBe("whole");
    expect(completed.calls).toHaveLength(2);
  });

  it("frees a half-open probe that the consumer stopped reading early", async () => {
    let t = 0;
    const inner = scriptedOutcomes([{ error: unavailable() }, { ok: "probe" }, { ok: "again" }]);
    const p = withResilience(inner, {
      ...noWait,
      maxAttempts: 1,
      now: () => t,
      circuit: { failureThreshold: 1, coolDownMs: 100 },
    });
    await expect(p.complete(request())).rejects.toMatchObject({ code: "unavailable" });
    t = 100;
    for await (const _ of p.stream(request())) break;
    expect(p.circuit("m1").state()).toBe("half_open");
    expect((await p.complete(request())).content).toBe("again");
    expect(p.circuit("m1").state()).toBe("closed");
  });

  it("stops waiting between attempts when the caller aborts", async () => {
    const inner = scriptedOutcomes([{ error: unavailable() }, { ok: "late" }]);
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 50);
    const t0 = performance.now();
    const p = withResilience(inner, { backoffBaseMs: 10_000, backoffMaxMs: 10_000, random: () => 0.99 });
    await expect(p.complete(request("m1", ac.signal))).rejects.toBeInstanceOf(AppError);
    expect(performance.now() - t0).toBeLessThan(1_000);
    expect(inner.calls).toHaveLength(1);
  });
});
