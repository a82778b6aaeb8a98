import { createAppMetrics } from "@conclave/metrics";
import { describe, expect, it } from "vitest";
import { loadConfig } from "./config.js";
import { executorHealth } from "./health.js";
import { executorMetrics } from "./metrics.js";
import { buildProviders } from "./providers.js";

const set = buildProviders(loadConfig({ ANTHROPIC_API_KEY: "k", LLM_CIRCUIT_FAILURES: "1" }));

describe("the executor's metrics and health", () => {
  it("counts LLM latency and tokens by provider and model, tool runs by outcome, circuits by state", async () => {
    const m = createAppMetrics("executor", { defaults: false });
    const observe = executorMetrics(m, () => set);
    observe.llmCall({
      provider: "anthropic",
      model: "claude-x",
      outcome: "ok",
      durationMs: 1200,
      inputTokens: 30,
      outputTokens: 12,
    });
    observe.toolRun("calculator", true, 4, false);
    observe.toolRun("calculator", true, 4, true);
    observe.toolRun("unknown", false, 1, false);
    set.resilient.get("anthropic")?.circuit("claude-x").tryAcquire()?.failure();
    const body = (await m.render()).body;
    const line = (re: RegExp) => expect(body).toMatch(re);
    line(
      /conclave_llm_tokens_total\{provider="anthropic",model="claude-x",direction="input",app="executor"\} 30/,
    );
    line(
      /conclave_llm_tokens_total\{provider="anthropic",model="claude-x",direction="output",app="executor"\} 12/,
    );
    line(/conclave_llm_call_duration_seconds_sum\{[^}]*provider="anthropic"[^}]*outcome="ok"[^}]*\} 1\.2/);
    line(/conclave_tool_runs_total\{tool="calculator",outcome="ok",app="executor"\} 1/);
    line(/conclave_tool_runs_total\{tool="calculator",outcome="replayed",app="executor"\} 1/);
    line(/conclave_tool_runs_total\{tool="unknown",outcome="error",app="executor"\} 1/);
    line(/conclave_llm_circuit_state\{provider="anthropic",circuit="[^"]*claude-x[^"]*",app="executor"\} 2/);
  });

  it("is degraded, not down, while a circuit is open, and down before the providers are built", async () => {
    set.resilient.get("anthropic")?.circuit("claude-x").tryAcquire()?.failure();
    const built = executorHealth({ providers: () => set, inFlight: () => 3 });
    const check = built.checks[0];
    expect(await check?.run()).toMatchObject({
      status: "degraded",
      error: expect.stringMatching(/anthropic .* open/),
    });
    expect(built.extra()).toMatchObject({
      inFlight: 3,
      providers: { anthropic: { circuits: [{ state: "open" }] } },
    });
    const early = executorHealth({ providers: () => undefined, inFlight: () => 0 });
    await expect(early.checks[0]?.run()).rejects.toThrow(/not built/);
  });
});
