import {
  type AgentSnapshot,
  ConversationMessage,
  MemoryEntry,
  type MemoryRecord,
  type TurnStarted,
} from "@conclave/subjects";
import { z } from "zod";
import { memorySystemText, renderHistory, withMemory } from "./render.js";
import { agentBudget, type ResolvedMemory } from "./settings.js";
import { windowStart } from "./window.js";

/**
 * What a turn's prompts remember, fixed when the turn starts (so a redelivered or replayed step
 * assembles the same prompt): the memory part of the system prompt, the files context, and the
 * earlier entries any agent's window holds, with where each agent's window starts in them.
 */
export const TurnMemory = z.object({
  system: z.string(),
  files: z.array(ConversationMessage),
  entries: z.array(MemoryEntry),
  /** Per agent: the index in `entries` its window starts at (an agent not listed gets no history). */
  starts: z.record(z.string(), z.number().int().min(0)),
  summaryId: z.string().nullable(),
  resetSeq: z.number().int().min(0),
  blocks: z.array(z.object({ label: z.string(), version: z.number().int().min(1) })),
});
export type TurnMemory = z.infer<typeof TurnMemory>;

/** A turn's memory with nothing remembered: only the files context (memory off, or tests). */
export const noMemory = (files: ConversationMessage[] = []): TurnMemory => ({
  system: "",
  files,
  entries: [],
  starts: {},
  summaryId: null,
  resetSeq: 0,
  blocks: [],
});

/**
 * The turn's memory from the group's memory record (with every earlier turn appended): each agent's
 * window is the newest entries within its budget. Reads nothing; costs O(window).
 */
export function assembleTurnMemory(input: {
  record: MemoryRecord;
  memory: ResolvedMemory;
  agents: readonly AgentSnapshot[];
  files: ConversationMessage[];
}): TurnMemory {
  const { record, memory } = input;
  if (!memory.enabled) return noMemory(input.files);
  const all = record.entries;
  const at = new Map(input.agents.map((a) => [a.id, windowStart(all, agentBudget(memory, a))]));
  const from = Math.min(all.length, ...at.values());
  return {
    system: memorySystemText(record.blocks, record.summary),
    files: input.files,
    entries: all.slice(from),
    starts: Object.fromEntries([...at].map(([id, start]) => [id, start - from])),
    summaryId: record.summary?.eventId ?? null,
    resetSeq: record.resetSeq,
    blocks: record.blocks.map((b) => ({ label: b.label, version: b.version })),
  };
}

/** What `agent` is sent for `messages` in this turn: its system prompt with the memory, then files, history, messages. */
export function promptOf(
  tm: TurnMemory,
  agent: AgentSnapshot,
  messages: readonly ConversationMessage[],
): { agent: AgentSnapshot; messages: ConversationMessage[] } {
  return {
    agent: tm.system ? { ...agent, systemPrompt: withMemory(agent.systemPrompt, tm.system) } : agent,
    messages: [...tm.files, ...historyOf(tm, agent.id), ...messages],
  };
}

/** The earlier conversation `agentId` is sent in this turn, oldest first. */
export function historyOf(tm: TurnMemory, agentId: string): ConversationMessage[] {
  const start = tm.starts[agentId];
  return start === undefined ? [] : renderHistory(tm.entries.slice(start), agentId);
}

/** The turn's memory as `turn.started` records it: with the stream, enough to rebuild every prompt. */
export function describeTurnMemory(tm: TurnMemory): NonNullable<TurnStarted["memory"]> {
  return {
    summaryId: tm.summaryId,
    resetSeq: tm.resetSeq,
    fromSeq: tm.entries[0]?.seq ?? null,
    toSeq: tm.entries.at(-1)?.seq ?? null,
    entries: tm.entries.length,
    blocks: tm.blocks,
  };
}
