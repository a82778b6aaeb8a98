import {
  createAnthropicProvider,
  createFallbackChain,
  createGoogleProvider,
  createOpenAiCompatibleProvider,
  createScriptedProvider,
  type LlmProvider,
  type ResilienceOptions,
  type ResilientProvider,
  withResilience,
} from "@conclave/llm";
import type { Provider } from "@conclave/subjects";
import type { ExecutorConfig } from "./config.js";

export type ProviderConfig = Pick<
  ExecutorConfig,
  | "ANTHROPIC_API_KEY"
  | "ANTHROPIC_BASE_URL"
  | "GEMINI_API_KEY"
  | "GEMINI_BASE_URL"
  | "OPENAI_COMPAT_BASE_URL"
  | "OPENAI_COMPAT_API_KEY"
  | "LLM_ATTEMPT_TIMEOUT_MS"
  | "LLM_ATTEMPTS"
  | "LLM_CIRCUIT_FAILURES"
  | "LLM_CIRCUIT_COOLDOWN_MS"
  | "LLM_FALLBACK"
  | "LLM_GRACEFUL_REPLY"
>;

export interface ProviderSet {
  /** What answers an agent of each provider: its own provider, then the configured fallbacks. */
  byAgentProvider: ReadonlyMap<Provider, LlmProvider>;
  /** The real providers with their circuits, for health. */
  resilient: ReadonlyMap<Provider, ResilientProvider>;
  /** What an account's own provider gets: the same timeouts, retries and circuits, and fallbacks. */
  resilience: ResilienceOptions;
  fallbacks: LlmProvider[];
}

/** Builds the providers this executor can use from its configuration (keys never leave this object). */
export function buildProviders(c: ProviderConfig): ProviderSet {
  const resilience = {
    timeoutMs: c.LLM_ATTEMPT_TIMEOUT_MS,
    maxAttempts: c.LLM_ATTEMPTS,
    circuit: { failureThreshold: c.LLM_CIRCUIT_FAILURES, coolDownMs: c.LLM_CIRCUIT_COOLDOWN_MS },
  };
  const real = new Map<Provider, ResilientProvider>();
  if (c.ANTHROPIC_API_KEY) {
    real.set(
      "anthropic",
      withResilience(
        createAnthropicProvider({
          apiKey: c.ANTHROPIC_API_KEY,
          ...(c.ANTHROPIC_BASE_URL ? { baseUrl: c.ANTHROPIC_BASE_URL } : {}),
        }),
        resilience,
      ),
    );
  }
  if (c.GEMINI_API_KEY) {
    real.set(
      "gemini",
      withResilience(
        createGoogleProvider({
          apiKey: c.GEMINI_API_KEY,
          name: "gemini",
          ...(c.GEMINI_BASE_URL ? { baseUrl: c.GEMINI_BASE_URL } : {}),
        }),
        resilience,
      ),
    );
  }
  if (c.OPENAI_COMPAT_BASE_URL) {
    real.set(
      "openai-compatible",
      withResilience(
        createOpenAiCompatibleProvider({
          baseUrl: c.OPENAI_COMPAT_BASE_URL,
          ...(c.OPENAI_COMPAT_API_KEY ? { apiKey: c.OPENAI_COMPAT_API_KEY } : {}),
        }),
        resilience,
      ),
    );
  }
  const byAgentProvider = new Map<Provider, LlmProvider>([["scripted", createScriptedProvider()]]);
  for (const name of ["anthropic", "gemini", "openai-compatible"] as const) {
    const own = real.get(name);
    const fallbacks = c.LLM_FALLBACK.filter((f) => f !== name).flatMap((f) => {
      const p = real.get(f);
      return p ? [{ provider: p }] : [];
    });
    const targets = [...(own ? [{ provider: own }] : []), ...fallbacks];
    if (targets.length === 0 && c.LLM_GRACEFUL_REPLY === undefined) continue;
    if (own && fallbacks.length === 0 && c.LLM_GRACEFUL_REPLY === undefined) byAgentProvider.set(name, own);
    else
      byAgentProvider.set(
        name,
        createFallbackChain({
          name,
          targets,
          ...(c.LLM_GRACEFUL_REPLY ? { gracefulReply: c.LLM_GRACEFUL_REPLY } : {}),
        }),
      );
  }
  const fallbacks = c.LLM_FALLBACK.flatMap((f) => {
    const p = real.get(f);
    return p ? [p] : [];
  });
  return { byAgentProvider, resilient: real, resilience, fallbacks };
}
