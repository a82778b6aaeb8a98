import type { ToolCall } from "./tool.js";

/** A person's (or another agent's) turn; `name` is the author, for providers that can show it. */
export interface UserMessage {
  role: "user";
  content: string;
  name?: string;
}

/** The model's own earlier turn, with the tools it asked for (if any). */
export interface AssistantMessage {
  role: "assistant";
  content: string;
  name?: string;
  toolCalls?: ToolCall[];
}

/** The result of one tool call, answering the assistant turn that asked for it. */
export interface ToolResultMessage {
  role: "tool";
  toolCallId: string;
  toolName: string;
  content: string;
  isError?: boolean;
}

/** One entry of a conversation sent to a provider; the system prompt travels beside, not in, the list. */
export type ChatMessage = UserMessage | AssistantMessage | ToolResultMessage;
