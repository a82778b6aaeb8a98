import type { CircuitState } from "@conclave/llm";
import { type AppMetrics, LONG_BUCKETS } from "@conclave/metrics";
import type { ProviderSet } from "./providers.js";

/** One ended LLM call, as the metrics count it. */
export interface LlmCallObservation {
  provider: string;
  model: string;
  outcome: "ok" | "failed";
  durationMs: number;
  inputTokens: number | null;
  outputTokens: number | null;
}

export interface ExecutorMetrics {
  llmCall(c: LlmCallObservation): void;
  toolRun(tool: string, ok: boolean, durationMs: number | undefined, replayed: boolean): void;
}

const STATE_VALUE: Record<CircuitState, number> = { closed: 0, half_open: 1, open: 2 };

/**
 * The executor's series: LLM latency and tokens by provider and model, tool runs by tool and
 * outcome, and each provider circuit's state (0 closed, 1 half open, 2 open) read at scrape time.
 */
export function executorMetrics(m: AppMetrics, providers: () => ProviderSet | undefined): ExecutorMetrics {
  const llmDuration = m.histogram(
    "conclave_llm_call_duration_seconds",
    "LLM call latency (whole streamed answer, retries and fallbacks included), by provider, model and outcome.",
    ["provider", "model", "outcome"],
    LONG_BUCKETS,
  );
  const tokens = m.counter("conclave_llm_tokens_total", "Tokens reported by providers, by direction.", [
    "provider",
    "model",
    "direction",
  ]);
  const toolRuns = m.counter("conclave_tool_runs_total", "Tool runs, by tool and outcome.", [
    "tool",
    "outcome",
  ]);
  const toolDuration = m.histogram("conclave_tool_run_duration_seconds", "Tool run latency, by tool.", [
    "tool",
  ]);
  m.gauge(
    "conclave_llm_circuit_state",
    "Provider circuit breaker state: 0 closed, 1 half open, 2 open.",
    ["provider", "circuit"],
    (g) => {
      g.reset();
      for (const [provider, p] of providers()?.resilient ?? [])
        for (const s of p.circuits()) g.set({ provider, circuit: s.key }, STATE_VALUE[s.state]);
    },
  );
  return {
    llmCall(c) {
      const l = { provider: c.provider, model: c.model };
      llmDuration.observe({ ...l, outcome: c.outcome }, c.durationMs / 1000);
      if (c.inputTokens) tokens.inc({ ...l, direction: "input" }, c.inputTokens);
      if (c.outputTokens) tokens.inc({ ...l, direction: "output" }, c.outputTokens);
    },
    toolRun(tool, ok, durationMs, replayed) {
      toolRuns.inc({ tool, outcome: replayed ? "replayed" : ok ? "ok" : "error" });
      if (!replayed && durationMs !== undefined) toolDuration.observe({ tool }, durationMs / 1000);
    },
  };
}
