import type { StreamDone } from "@conclave/llm";
import type { AgentSnapshot } from "@conclave/subjects";
import type { Attributes } from "@conclave/telemetry";

// The OpenTelemetry GenAI semantic conventions (gen_ai.*), for the span of one model call.

/** What is known of a call before it is made. */
export function chatAttributes(agent: AgentSnapshot, provider: string): Attributes {
  return {
    "gen_ai.operation.name": "chat",
    "gen_ai.provider.name": provider,
    "gen_ai.request.model": agent.model,
    "gen_ai.agent.id": agent.id,
    "gen_ai.agent.name": agent.name,
    ...(agent.maxTokens !== undefined ? { "gen_ai.request.max_tokens": agent.maxTokens } : {}),
    ...(agent.temperature !== undefined ? { "gen_ai.request.temperature": agent.temperature } : {}),
  };
}

/** What the answer reports: the model that answered, why it stopped, the tokens it used. */
export function usageAttributes(done: StreamDone): Attributes {
  return {
    "gen_ai.response.model": done.model,
    "gen_ai.response.finish_reasons": [done.finishReason],
    "gen_ai.usage.input_tokens": done.usage.inputTokens,
    "gen_ai.usage.output_tokens": done.usage.outputTokens,
    "gen_ai.usage.cache_read.input_tokens": done.usage.cachedTokens,
  };
}
