export { type AnthropicOptions, createAnthropicProvider } from "./anthropic.js";
export { fullJitterDelay } from "./backoff.js";
export {
  type CircuitBreaker,
  type CircuitBreakerOptions,
  type CircuitPermit,
  type CircuitSnapshot,
  type CircuitState,
  createCircuitBreaker,
} from "./circuit-breaker.js";
export { collectStream, providerFromStream } from "./collect-stream.js";
export {
  createFallbackChain,
  type FallbackChainOptions,
  type FallbackTarget,
  GRACEFUL_PROVIDER,
} from "./fallback-chain.js";
export { createGoogleProvider, type GoogleOptions } from "./google.js";
export { createHttpPost, type HttpPost, type HttpResponse } from "./http-post.js";
export { type LinkedAbort, linkedAbort } from "./linked-abort.js";
export type { AssistantMessage, ChatMessage, ToolResultMessage, UserMessage } from "./message.js";
export { createOpenAiCompatibleProvider, type OpenAiCompatibleOptions } from "./openai-compatible.js";
export type {
  Completion,
  CompletionRequest,
  FinishReason,
  LlmAgent,
  LlmProvider,
  SkippedProvider,
  StreamDone,
  StreamEvent,
  Usage,
} from "./provider.js";
export {
  abortFailure,
  codeForStatus,
  httpFailure,
  isCircuitOpen,
  ProviderFailure,
  providerFailureOf,
  retryAfterOf,
  transportFailure,
} from "./provider-failure.js";
export { type ResilienceOptions, type ResilientProvider, withResilience } from "./resilient-provider.js";
export { parseRetryAfter, retryAfterFromHeaders } from "./retry-after.js";
export type { ScriptedToolCall, ScriptedVote, ScriptOptions } from "./script-options.js";
export { createScriptedProvider } from "./scripted.js";
export { parseSse, type SseEvent } from "./sse.js";
export { parseToolArgs, type ToolCall, type ToolDefinition } from "./tool.js";
