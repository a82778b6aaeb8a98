import { z } from "zod";
import { Id } from "./common.js";
import { text } from "./text.js";

/** `tool.completed`: one tool call ran (or was refused), with its result or error. */
export const TOOL_COMPLETED = "tool.completed";
export const ToolCompleted = z.object({
  agentId: Id,
  step: z.number().int().min(0),
  callId: z.string().min(1).max(200),
  name: z.string().min(1).max(64),
  key: z.string().min(1).max(200),
  ok: z.boolean(),
  /** JSON-safe result, or the error the model gets to read. */
  result: z.unknown().optional(),
  error: z.object({ code: z.string(), message: z.string().max(4000) }).optional(),
  durationMs: z.number().int().min(0),
  /** True when the ledger already held this call's result: nothing ran again. */
  replayed: z.boolean(),
});
export type ToolCompleted = z.infer<typeof ToolCompleted>;

/** `tool.approval_requested`: a tool that needs a person's approval waits for `tool.approved` or `tool.denied`. */
export const TOOL_APPROVAL_REQUESTED = "tool.approval_requested";
export const ToolApprovalRequested = z.object({
  agentId: Id,
  step: z.number().int().min(0),
  callId: z.string().min(1).max(200),
  name: z.string().min(1).max(64),
  args: z.record(z.string(), z.unknown()),
  key: z.string().min(1).max(200),
});
export type ToolApprovalRequested = z.infer<typeof ToolApprovalRequested>;

/** `tool.approved` / `tool.denied`: a person decided about a waiting tool call (by its key). */
export const TOOL_APPROVED = "tool.approved";
export const TOOL_DENIED = "tool.denied";
export const ToolDecision = z.object({
  key: text().min(1).max(200),
  reason: text().max(1000).optional(),
});
export type ToolDecision = z.infer<typeof ToolDecision>;
