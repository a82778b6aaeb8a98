import { z } from "zod";
import { text } from "./text.js";

/** Ids are UUIDs: they never contain subject wildcards (`*`, `>`) or separators (`.`). */
export const Id = z.uuid();

export const Actor = z.object({
  kind: z.enum(["user", "agent", "system"]),
  id: text().min(1).max(200),
  name: text().max(200).optional(),
});
export type Actor = z.infer<typeof Actor>;

export const SYSTEM_ACTOR: Actor = { kind: "system", id: "conclave" };

/** The providers an agent may use; `scripted` is the offline, deterministic one. */
export const PROVIDERS = ["scripted", "anthropic", "gemini", "openai-compatible"] as const;
export const Provider = z.enum(PROVIDERS);
export type Provider = z.infer<typeof Provider>;

/**
 * The longest a scripted agent may wait before answering: agents are created with at most this,
 * and the provider clamps longer delays stored before the cap existed (they hold executor slots).
 */
export const SCRIPTED_MAX_DELAY_MS = 5_000;

/** The longest a scripted agent may wait between two streamed words. */
export const SCRIPTED_MAX_TOKEN_DELAY_MS = 1_000;

/** A tool call the scripted provider makes, the same every time. */
export const ScriptedToolCall = z.object({
  name: z.string().min(1).max(200),
  args: z.record(z.string(), z.unknown()).optional(),
  id: z.string().max(200).optional(),
});

/** What an agent needs to answer, snapshotted when its turn starts. */
export const AgentSnapshot = z.object({
  id: Id,
  name: z.string().min(1).max(100),
  provider: Provider,
  /** The account that owns the agent: its stored provider credential, if any, pays for the call. */
  ownerId: Id.optional(),
  model: z.string().max(200),
  systemPrompt: z.string().max(20_000).default(""),
  temperature: z.number().min(0).max(2).optional(),
  /** The tools this agent may call; anything else is refused in code, whatever the model asks. */
  allowedTools: z.array(z.string().min(1).max(64)).max(50).default([]),
  maxTokens: z.number().int().min(1).max(200_000).optional(),
  /** The agent's own memory window, overriding its groups' (absent: the group's). */
  memory: z
    .object({
      windowTokens: z.number().int().min(0).max(32_000).optional(),
      maxMessages: z.number().int().min(0).max(500).optional(),
    })
    .optional(),
  scripted: z
    .object({
      /** Canned replies, used in turn order (cycling). */
      replies: z.array(z.string().max(20_000)).max(100).optional(),
      /** Reply with the message text. */
      echo: z.boolean().optional(),
      /** Wait this long before answering (simulated latency); the provider waits at most `SCRIPTED_MAX_DELAY_MS`. */
      delayMs: z.number().int().min(0).max(600_000).optional(),
      /** Wait this long between streamed words, so streaming can be watched (at most `SCRIPTED_MAX_DELAY_MS` in all). */
      tokenDelayMs: z.number().int().min(0).max(SCRIPTED_MAX_TOKEN_DELAY_MS).optional(),
      /** Fail permanently with this reason (to exercise `agent.failed`). */
      failWith: z.string().max(1000).optional(),
      /** Ask for these tools when the request offers tools (then answer once results are in). */
      toolCalls: z.array(ScriptedToolCall).max(20).optional(),
      /** Ballots cast when asked to vote, cycled by turn; without them the agent abstains. */
      votes: z
        .array(
          z.object({
            choice: z.string().max(200).nullable(),
            confidence: z.number().min(0).max(1).default(1),
            rationale: z.string().max(4000).default(""),
          }),
        )
        .max(100)
        .optional(),
    })
    .default({}),
});
export type AgentSnapshot = z.infer<typeof AgentSnapshot>;
