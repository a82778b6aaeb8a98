import { z } from "zod";
import { Actor, AgentSnapshot, Id } from "./common.js";
import { text } from "./text.js";

// ---- settings ----------------------------------------------------------------------------------

/** The largest window a group or an agent may ask for (the memory record must stay well under 1 MB). */
export const MAX_WINDOW_TOKENS = 32_000;

/** A group's memory settings (`settings.memory`); every field has a default. */
export const MemorySettings = z.object({
  /** Off: prompts carry no history, summary or blocks (each turn starts from nothing, as before). */
  enabled: z.boolean().optional(),
  /** How many tokens of earlier conversation each prompt may carry (newest first). */
  windowTokens: z.number().int().min(0).max(MAX_WINDOW_TOKENS).optional(),
  /** How many earlier messages each prompt may carry. */
  maxMessages: z.number().int().min(0).max(500).optional(),
  /** Summarize once this many tokens have fallen out of the window since the last summary. */
  summarizeAfterTokens: z.number().int().min(100).max(MAX_WINDOW_TOKENS).optional(),
  /** The agent (of the group's owner) that writes summaries; else the deployment's default, else none. */
  summarizerAgentId: Id.optional(),
});
export type MemorySettings = z.infer<typeof MemorySettings>;

/** An agent's own window, overriding its groups' (`config.memory` of the agent). */
export const AgentMemorySettings = AgentSnapshot.shape.memory.unwrap();
export type AgentMemorySettings = z.infer<typeof AgentMemorySettings>;

export const MEMORY_DEFAULTS = {
  enabled: true,
  windowTokens: 4_000,
  maxMessages: 50,
  summarizeAfterTokens: 2_000,
} as const;

// ---- blocks ------------------------------------------------------------------------------------

/** A block's label: lower-case letters, digits, `_` and `-`, starting with a letter or digit. */
export const BLOCK_LABEL_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;
export const BlockLabel = z
  .string()
  .regex(
    BLOCK_LABEL_PATTERN,
    "lower-case letters, digits, _ and -, at most 64, starting with a letter or digit",
  );

export const BLOCK_LIMITS = {
  /** A block's character limit when none is given. */
  defaultLimit: 2_000,
  /** The largest limit a block may have. */
  maxLimit: 8_000,
  /** Blocks per group. */
  maxBlocks: 16,
  /** All of a group's blocks together, in characters. */
  maxTotalChars: 32_000,
} as const;

/** A pinned fact every agent of the group sees in its system context. */
export const MemoryBlock = z.object({
  label: BlockLabel,
  value: z.string(),
  limit: z.number().int().min(1).max(BLOCK_LIMITS.maxLimit),
  /** 1 when created, +1 at every change. */
  version: z.number().int().min(1),
  updatedAt: z.iso.datetime(),
  updatedBy: Actor,
});
export type MemoryBlock = z.infer<typeof MemoryBlock>;

// ---- events ------------------------------------------------------------------------------------

/** `memory.updated`: a block was set, appended to, replaced in or deleted (the actor says who). */
export const MEMORY_UPDATED = "memory.updated";
export const MemoryUpdated = z.object({
  label: BlockLabel,
  action: z.enum(["set", "append", "replace", "delete"]),
  /** sha256 (hex) of the value before and after; null where there was or is no block. */
  oldDigest: z.string().nullable(),
  newDigest: z.string().nullable(),
  /** The new value (null once deleted). */
  value: z.string().max(BLOCK_LIMITS.maxLimit).nullable(),
  limit: z.number().int().min(1).max(BLOCK_LIMITS.maxLimit),
  /** The block's version after the change (the deleted version for a delete). */
  version: z.number().int().min(1),
});
export type MemoryUpdated = z.infer<typeof MemoryUpdated>;

/** `memory.reset`: later prompts start after this event (the history itself stays). */
export const MEMORY_RESET = "memory.reset";
export const MemoryReset = z.object({ reason: text().max(1000).optional() });
export type MemoryReset = z.infer<typeof MemoryReset>;

/** `memory.summarized`: the conversation up to `upToSeq` compressed; later prompts use it, never recompute it. */
export const MEMORY_SUMMARIZED = "memory.summarized";
export const MemorySummarized = z.object({
  /** The stream seqs of the first and last entries this summary covers (with the previous summary). */
  fromSeq: z.number().int().min(0),
  upToSeq: z.number().int().min(1),
  summary: z.string().max(40_000),
  /** The summary's size as prompts count it. */
  tokens: z.number().int().min(0),
  /** The summary this one extends, if any. */
  previousId: Id.nullable(),
  agentId: Id,
  provider: z.string(),
  model: z.string(),
  usage: z
    .object({
      inputTokens: z.number().int().min(0),
      outputTokens: z.number().int().min(0),
      cachedTokens: z.number().int().min(0),
    })
    .optional(),
});
export type MemorySummarized = z.infer<typeof MemorySummarized>;

// ---- the memory record (KV value the orchestrator, the edge and the executor share) ------------

/** One piece of earlier conversation as prompts carry it. */
export const MemoryEntry = z.object({
  /** The stream seq of its event (a vote's outcome: the turn's last seq known when the vote closed). */
  seq: z.number().int().min(0),
  kind: z.enum(["message", "reply", "outcome"]),
  turnId: z.string(),
  by: Actor,
  content: z.string(),
  /** Its size as prompts count it (see libs/memory's tokens). */
  tokens: z.number().int().min(0),
});
export type MemoryEntry = z.infer<typeof MemoryEntry>;

/** The latest summary as prompts use it. */
export const SummaryRef = z.object({
  eventId: Id,
  fromSeq: z.number().int().min(0),
  upToSeq: z.number().int().min(1),
  text: z.string(),
  tokens: z.number().int().min(0),
});
export type SummaryRef = z.infer<typeof SummaryRef>;

/**
 * A group's memory (KV bucket `memory`, key = group id), changed only by compare-and-set: the
 * conversation since the latest summary (appended by the orchestrator as each turn ends), that
 * summary, the reset fence, the blocks, and events decided but maybe not yet published.
 */
export const MemoryRecord = z.object({
  groupId: z.string(),
  /** The latest turns appended (their ids): appending a turn twice changes nothing. */
  turns: z.array(z.string()).default([]),
  /** Turns whose message has a seq at or below this are forgotten (a `memory.reset`). */
  resetSeq: z.number().int().min(0).default(0),
  entries: z.array(MemoryEntry).default([]),
  summary: SummaryRef.nullable().default(null),
  /** A summary asked for and not yet in (`published`: its work item went out). */
  summarizing: z
    .object({
      workId: Id,
      fromSeq: z.number().int().min(0),
      upToSeq: z.number().int().min(1),
      since: z.iso.datetime(),
      published: z.boolean(),
    })
    .nullable()
    .default(null),
  /** Failed summary attempts: part of the next attempt's id, so a retry is a new work item. */
  summaryAttempts: z.number().int().min(0).default(0),
  blocks: z.array(MemoryBlock).default([]),
  /** Changes made to the blocks so far: numbers each change's `memory.updated` event. */
  blockChanges: z.number().int().min(0).default(0),
  /** Idempotency keys of the latest tool calls that changed blocks (a re-run changes nothing). */
  appliedKeys: z.array(z.string()).default([]),
  outbox: z.array(z.unknown()).default([]),
});
export type MemoryRecord = z.infer<typeof MemoryRecord>;

export const emptyMemory = (groupId: string): MemoryRecord => MemoryRecord.parse({ groupId });

/** What a summary work item (`work.llm` with `summarize`) covers. */
export const SummarizeWork = z.object({
  fromSeq: z.number().int().min(0),
  upToSeq: z.number().int().min(1),
  previousId: Id.nullable(),
});
export type SummarizeWork = z.infer<typeof SummarizeWork>;

/** The ask id a summary's failure (`agent.failed`) carries. */
export const SUMMARY_ASK_ID = "memory.summary";

/** The built-in tool that changes blocks (offered to agents whose allow-list has it). */
export const MEMORY_TOOL = "memory";
