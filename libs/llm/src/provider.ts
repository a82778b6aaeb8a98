import type { AgentSnapshot, WorkLlm } from "@conclave/subjects";

export interface CompletionRequest {
  agent: AgentSnapshot;
  messages: WorkLlm["messages"];
  turnIndex: number;
  signal?: AbortSignal;
}

export interface Completion {
  content: string;
  model: string;
  usage: { inputTokens: number; outputTokens: number };
}

/** One interface for every provider: messages in, the final answer and its usage out. */
export interface LlmProvider {
  readonly name: string;
  complete(request: CompletionRequest): Promise<Completion>;
}
