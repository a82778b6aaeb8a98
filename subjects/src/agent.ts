import { z } from "zod";
import { Id } from "./common.js";
import { AskPurpose } from "./orchestration.js";
import { ToolCallSpec } from "./work.js";

/** `agent.replied`: an agent's final answer in a turn (persisted; token deltas are not). */
export const AGENT_REPLIED = "agent.replied";
export const AgentReplied = z.object({
  agentId: Id,
  /** The ask (`work.llm` payload `ask.id`) this answers; absent on work without one. */
  askId: z.string().max(200).optional(),
  /**
   * What the ask wanted (`ask.purpose` of the work item): an answer, a JSON ballot, or a selector's
   * pick. Added as optional: older events have none.
   */
  purpose: AskPurpose.optional(),
  agentName: z.string(),
  content: z.string().max(200_000),
  provider: z.string(),
  model: z.string(),
  latencyMs: z.number().int().min(0),
  /** Token counts of the call (added in v1 as optional: older events have none). */
  usage: z
    .object({
      inputTokens: z.number().int().min(0),
      outputTokens: z.number().int().min(0),
      cachedTokens: z.number().int().min(0),
    })
    .optional(),
  /** Providers a fallback chain passed over before `provider` answered, and why. */
  skipped: z
    .array(
      z.object({ provider: z.string(), model: z.string(), reason: z.string(), error: z.string().max(1000) }),
    )
    .optional(),
});
export type AgentReplied = z.infer<typeof AgentReplied>;

/** `agent.tool_requested`: the agent's model asked for tools; their results go back to it. */
export const AGENT_TOOL_REQUESTED = "agent.tool_requested";
export const AgentToolRequested = z.object({
  agentId: Id,
  askId: z.string().max(200).optional(),
  agentName: z.string(),
  step: z.number().int().min(0),
  /** Text the model produced before asking. */
  content: z.string().max(200_000),
  calls: z
    .array(ToolCallSpec.extend({ key: z.string().min(1).max(200) }))
    .min(1)
    .max(20),
  /** The model and token counts of the call that asked (every LLM call reports its usage). */
  model: z.string().optional(),
  usage: z
    .object({
      inputTokens: z.number().int().min(0),
      outputTokens: z.number().int().min(0),
      cachedTokens: z.number().int().min(0),
    })
    .optional(),
});
export type AgentToolRequested = z.infer<typeof AgentToolRequested>;

/** `agent.failed`: an agent could not answer (a permanent provider error, or a budget refused the call). */
export const AGENT_FAILED = "agent.failed";
export const AgentFailed = z.object({
  agentId: Id,
  askId: z.string().max(200).optional(),
  agentName: z.string(),
  error: z.string().max(4000),
  /** `budget`: the call was refused before it ran (a `budget.exceeded` says which); absent: it failed. */
  reason: z.enum(["budget"]).optional(),
});
export type AgentFailed = z.infer<typeof AgentFailed>;
