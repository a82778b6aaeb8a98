import { z } from "zod";
import { AgentSnapshot, Id } from "./common.js";
import { SummarizeWork } from "./memory.js";
import { AskPurpose } from "./orchestration.js";

/** A tool call as a model made it: its id (the provider's), the tool's name, and its arguments. */
export const ToolCallSpec = z.object({
  id: z.string().min(1).max(200),
  name: z.string().min(1).max(64),
  args: z.record(z.string(), z.unknown()),
  /** Opaque provider data sent back with the call on the next request (Gemini's thought signature). */
  signature: z.string().max(10_000).optional(),
});
export type ToolCallSpec = z.infer<typeof ToolCallSpec>;

/** One entry of the conversation an LLM call sees (the same shapes as the provider layer's). */
export const ConversationMessage = z.discriminatedUnion("role", [
  z.object({ role: z.literal("user"), name: z.string().max(200).optional(), content: z.string() }),
  z.object({
    role: z.literal("assistant"),
    name: z.string().max(200).optional(),
    content: z.string(),
    toolCalls: z.array(ToolCallSpec).optional(),
  }),
  z.object({
    role: z.literal("tool"),
    toolCallId: z.string(),
    toolName: z.string(),
    content: z.string(),
    isError: z.boolean().optional(),
  }),
]);
export type ConversationMessage = z.infer<typeof ConversationMessage>;

/** `work.llm`: one LLM call for one agent in one turn (a command for the executor pool). */
export const WORK_LLM = "work.llm";
export const WorkLlm = z.object({
  agent: AgentSnapshot,
  /** How many turns the group ran before this one; scripted replies cycle on it. */
  turnIndex: z.number().int().min(0),
  messages: z.array(ConversationMessage).min(1),
  /** 0 for the first call of the agent in a turn, +1 after each round of tool results. */
  step: z.number().int().min(0).default(0),
  /**
   * Which ask of the turn this call answers: its id (echoed on the reply), what it asks for, and
   * how many asks this agent had before it in the turn (scripted replies cycle on turnIndex + index).
   */
  ask: z
    .object({
      id: z.string().min(1).max(200),
      purpose: AskPurpose.default("reply"),
      index: z.number().int().min(0),
    })
    .optional(),
  /** Set on a summary: the executor answers with `memory.summarized` instead of a reply. */
  summarize: SummarizeWork.optional(),
});
export type WorkLlm = z.infer<typeof WorkLlm>;

/** `work.tool`: one tool call of one agent (a command for the executor pool). */
export const WORK_TOOL = "work.tool";
export const WorkTool = z.object({
  agent: AgentSnapshot,
  step: z.number().int().min(0),
  call: ToolCallSpec,
  /** run + step + arguments hash: the ledger key that makes the call's side effects happen once. */
  key: z.string().min(1).max(200),
  /** A person approved this call (for tools that need it). */
  approved: z.boolean().optional(),
});
export type WorkTool = z.infer<typeof WorkTool>;

/** `work.timer`: wake the orchestrator at `dueAt` to check a turn's deadline or a vote's. */
export const WORK_TIMER = "work.timer";
export const WorkTimer = z.object({
  kind: z.enum(["turn.deadline", "vote.deadline"]),
  dueAt: z.iso.datetime(),
  messageId: Id,
  /** The vote a `vote.deadline` closes. */
  voteId: Id.optional(),
});
export type WorkTimer = z.infer<typeof WorkTimer>;
