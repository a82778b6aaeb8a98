import { z } from "zod";
import { AgentSnapshot, Id } from "./common.js";

/** `work.llm`: one LLM call for one agent in one turn (a command for the executor pool). */
export const WORK_LLM = "work.llm";
export const WorkLlm = z.object({
  agent: AgentSnapshot,
  /** How many turns the group ran before this one; scripted replies cycle on it. */
  turnIndex: z.number().int().min(0),
  messages: z
    .array(
      z.object({
        role: z.enum(["user", "assistant"]),
        name: z.string().max(200).optional(),
        content: z.string(),
      }),
    )
    .min(1),
});
export type WorkLlm = z.infer<typeof WorkLlm>;

/** `work.timer`: wake the orchestrator at `dueAt` to check a turn's deadline. */
export const WORK_TIMER = "work.timer";
export const WorkTimer = z.object({
  kind: z.enum(["turn.deadline"]),
  dueAt: z.iso.datetime(),
  messageId: Id,
});
export type WorkTimer = z.infer<typeof WorkTimer>;
