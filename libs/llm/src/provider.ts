import type { ErrorCode } from "@conclave/errors";
import type { ChatMessage } from "./message.js";
import type { ScriptOptions } from "./script-options.js";
import type { ToolCall, ToolDefinition } from "./tool.js";

/** Who answers: the fields of `AgentSnapshot` (from `@conclave/subjects`) a provider reads. */
export interface LlmAgent {
  id: string;
  name: string;
  /** The provider's name, e.g. `anthropic`, `google`, `openai-compatible`, `scripted`. */
  provider: string;
  model: string;
  systemPrompt: string;
  scripted?: ScriptOptions;
}

export interface CompletionRequest {
  agent: LlmAgent;
  messages: readonly ChatMessage[];
  /** How many turns the group ran before this one; scripted replies cycle on it. */
  turnIndex: number;
  /** How many asks this agent had earlier in the turn (scripted replies cycle on turnIndex + it). */
  askIndex?: number;
  /**
   * What the call asks for. Real adapters ignore it (a ballot's instructions travel in the
   * messages); the scripted provider answers a `ballot` with its scripted vote. Default `reply`.
   */
  purpose?: "reply" | "ballot" | "select";
  /** Tools the model may ask for. */
  tools?: readonly ToolDefinition[];
  /** Overrides `agent.systemPrompt`. */
  system?: string;
  /** Overrides `agent.model` (a fallback target names its own model). */
  model?: string;
  maxOutputTokens?: number;
  temperature?: number;
  signal?: AbortSignal;
}

/** Token counts of one call; `inputTokens` includes the `cachedTokens` read from a prompt cache. */
export interface Usage {
  inputTokens: number;
  outputTokens: number;
  cachedTokens: number;
}

/** Why the model stopped: done, wants tools, hit the output limit, was filtered, or anything else. */
export type FinishReason = "stop" | "tool_calls" | "length" | "content_filter" | "other";

/** A provider a fallback chain passed over before one answered, and why. */
export interface SkippedProvider {
  provider: string;
  model: string;
  reason: "circuit_open" | "failed";
  code: ErrorCode;
  error: string;
}

/** The end of a stream: who answered, with which model, why it stopped and what it cost. */
export interface StreamDone {
  type: "done";
  provider: string;
  model: string;
  usage: Usage;
  finishReason: FinishReason;
  skipped: SkippedProvider[];
}

/** What a stream yields: text as it comes, each tool call once its arguments are complete, then `done`. */
export type StreamEvent =
  | { type: "text"; delta: string }
  | { type: "tool_call"; call: ToolCall }
  | StreamDone;

/** A whole answer, as `complete()` returns it. */
export interface Completion {
  content: string;
  toolCalls: ToolCall[];
  provider: string;
  model: string;
  usage: Usage;
  finishReason: FinishReason;
  skipped: SkippedProvider[];
}

/**
 * One interface for every provider: a conversation in, a stream of events (or the whole answer)
 * out. Failures are `AppError`s: `unavailable` (retry), `timeout`, or `permanent`.
 */
export interface LlmProvider {
  readonly name: string;
  complete(request: CompletionRequest): Promise<Completion>;
  stream(request: CompletionRequest): AsyncIterable<StreamEvent>;
}
